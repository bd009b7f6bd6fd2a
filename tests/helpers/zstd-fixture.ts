// The layer behind tests/fixtures/zstd/layer.tar.zst, rebuilt in JS: the committed bytes are this tar
// compressed by the zstd command-line tool (Node 20 has no zstd encoder), as two frames (first half, second
// half, each with its checksum), so decoding is checked against an independent source, not against itself.
// Regenerate: npx tsx tests/helpers/zstd-fixture.ts (needs the zstd CLI).
import fs from 'node:fs'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { tarEntry, tarEnd } from './layer-tar'

export const ZSTD_FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/zstd/layer.tar.zst')

/** a pseudo-random 4 KiB pattern repeated to `size` bytes: megabytes that compress to a few KB */
export function repeatedPattern(size: number): Buffer {
  const unit = Buffer.alloc(4096)
  let x = 12345
  for (let i = 0; i < unit.length; i++) unit[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24
  const out = Buffer.alloc(size)
  for (let at = 0; at < size; at += unit.length) unit.copy(out, at)
  return out
}

export const zstdLayerFiles = {
  'app/main.js': Buffer.from('console.log("zstd")\n'),
  'app/big.bin': repeatedPattern(6 * 1024 * 1024),
  'app/after.txt': Buffer.from('a file after six MiB of data\n'),
}

export function zstdLayerTar(): Buffer {
  return Buffer.concat([
    tarEntry({ name: 'app/', type: '5', mode: 0o755 }),
    ...Object.entries(zstdLayerFiles).map(([name, data]) => tarEntry({ name, mode: 0o644, mtime: 1_700_000_000 }, data)),
    tarEntry({ name: 'app/link', type: '2', linkname: 'main.js' }),
    tarEnd(),
  ])
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const tar = zstdLayerTar()
  const half = Math.floor(tar.length / 2)
  const frames = [tar.subarray(0, half), tar.subarray(half)].map((part) => execFileSync('zstd', ['-19', '--check', '-c', '-q'], { input: part }))
  fs.writeFileSync(ZSTD_FIXTURE, Buffer.concat(frames))
  console.log(ZSTD_FIXTURE, Buffer.concat(frames).length, 'bytes for', tar.length)
}
