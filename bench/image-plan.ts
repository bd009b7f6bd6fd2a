// What a synthetic image contains: its layers, and every file, directory and symlink in each layer,
// decided up front from a seed. Tar sizes are deterministic (512-byte header + data padded to 512,
// plus two zero blocks at the end), so each layer's exact byte size is known before it is written.
import { Prng, type ContentKind } from './content'

export type LayerEntry =
  | { type: 'directory'; name: string }
  | { type: 'symlink'; name: string; target: string }
  | { type: 'file'; name: string; size: number; kind: ContentKind; mode: number }

export type LayerPlan = { index: number; createdBy: string; entries: LayerEntry[]; tarBytes: number }

export type ImagePlan = { seed: string; targetBytes: number; layers: LayerPlan[] }

export const padded = (n: number) => Math.ceil(n / 512) * 512
/** Bytes one entry occupies in a tar stream (no PAX headers: names stay under 100 bytes). */
export const tarEntryBytes = (dataBytes: number) => 512 + padded(dataBytes)
export const TAR_END_BYTES = 1024

type KindMix = Record<ContentKind, number>

/** Layers of a typical application image: base OS, runtime, dependencies, assets, build output, code, config. */
const LAYER_SHAPES: { share: number; createdBy: string; roots: string[]; mix: KindMix }[] = [
  { share: 0.1, createdBy: 'ADD rootfs.tar.xz / # debian:bookworm-slim', roots: ['usr/bin', 'usr/lib/x86_64-linux-gnu', 'usr/share/doc', 'etc', 'var/lib/dpkg/info'], mix: { text: 0.4, binary: 0.5, random: 0.1 } },
  { share: 0.26, createdBy: 'RUN apt-get install -y python3 nodejs libssl3 ca-certificates', roots: ['usr/lib/python3.11', 'usr/lib/x86_64-linux-gnu', 'usr/share/locale', 'usr/local/bin'], mix: { text: 0.35, binary: 0.55, random: 0.1 } },
  { share: 0.24, createdBy: 'COPY node_modules /app/node_modules', roots: ['app/node_modules'], mix: { text: 0.75, binary: 0.2, random: 0.05 } },
  { share: 0.2, createdBy: 'COPY public /app/public', roots: ['app/public/img', 'app/public/fonts', 'app/public/media'], mix: { text: 0.2, binary: 0.5, random: 0.3 } },
  { share: 0.12, createdBy: 'RUN npm run build', roots: ['app/dist', 'app/.cache'], mix: { text: 0.7, binary: 0.25, random: 0.05 } },
  { share: 0.05, createdBy: 'COPY src /app/src', roots: ['app/src'], mix: { text: 0.9, binary: 0.05, random: 0.05 } },
  { share: 0.03, createdBy: 'COPY config /app/config', roots: ['app/config', 'etc/app'], mix: { text: 0.95, binary: 0.05, random: 0 } },
]

const EXTENSIONS: Record<ContentKind, string[]> = {
  text: ['py', 'js', 'json', 'md', 'txt', 'h', 'conf', 'html', 'css', 'ts', 'yaml'],
  binary: ['so', 'bin', 'pyc', 'o', 'a', 'node'],
  random: ['png', 'jpg', 'gz', 'woff2', 'jar', 'zip', 'webp'],
}
/** log-uniform file sizes per kind: many small text files, fewer larger binaries and assets */
const SIZE_RANGE: Record<ContentKind, [number, number]> = {
  text: [200, 2 << 20],
  binary: [2 << 10, 8 << 20],
  random: [4 << 10, 16 << 20],
}
const WORDS = ['core', 'util', 'http', 'json', 'yaml', 'crypto', 'image', 'parser', 'render', 'stream', 'server', 'client',
  'schema', 'cache', 'config', 'logger', 'events', 'buffer', 'worker', 'router', 'models', 'views', 'assets', 'common']

/** Plans an image whose archive is about `targetBytes` long. */
export function planImage(targetBytes: number, seed: string): ImagePlan {
  const rng = new Prng(`${seed}/plan`)
  const layers = LAYER_SHAPES.map((shape, index) => planLayer(rng, index, Math.floor(targetBytes * shape.share), shape))
  return { seed, targetBytes, layers }
}

function planLayer(rng: Prng, index: number, budget: number, shape: (typeof LAYER_SHAPES)[number]): LayerPlan {
  const entries: LayerEntry[] = []
  const dirs = new Set<string>()
  let tarBytes = TAR_END_BYTES
  const add = (e: LayerEntry) => {
    entries.push(e)
    tarBytes += tarEntryBytes(e.type === 'file' ? e.size : 0)
  }
  const ensureDir = (dir: string) => {
    const parts = dir.split('/')
    for (let i = 1; i <= parts.length; i++) {
      const d = parts.slice(0, i).join('/')
      if (!dirs.has(d)) {
        dirs.add(d)
        add({ type: 'directory', name: d + '/' })
      }
    }
  }

  const kinds = Object.keys(shape.mix) as ContentKind[]
  // Each kind gets its share of the layer's data bytes, so the compression ratio is the same at every size.
  const remaining = Object.fromEntries(kinds.map((k) => [k, budget * shape.mix[k]])) as KindMix
  let fileNo = 0
  let dir = ''
  while (tarBytes + 2048 < budget) {
    // pick a kind with probability proportional to what it still needs: kinds interleave as in a real layer
    const total = kinds.reduce((n, k) => n + Math.max(0, remaining[k]), 0)
    if (total < 512) break
    let r = rng.next() * total
    const kind = kinds.find((k) => (r -= Math.max(0, remaining[k])) < 0) ?? kinds[0]
    const [lo, hi] = SIZE_RANGE[kind]
    const wanted = Math.round(lo * Math.pow(hi / lo, rng.next()))
    const size = Math.max(1, Math.min(wanted, Math.floor(remaining[kind]), budget - tarBytes - 1024))
    remaining[kind] -= tarEntryBytes(size)

    if (fileNo % 12 === 0) {
      dir = `${rng.pick(shape.roots)}/${rng.pick(WORDS)}-${rng.int(100)}`
      ensureDir(dir)
    }
    const base = `${rng.pick(WORDS)}_${fileNo}`
    const name = `${dir}/${base}.${rng.pick(EXTENSIONS[kind])}`
    add({ type: 'file', name, size, kind, mode: kind === 'binary' ? 0o755 : 0o644 })
    if (fileNo % 25 === 7) add({ type: 'symlink', name: `${dir}/${base}.link`, target: name.slice(dir.length + 1) })
    fileNo++
  }
  return { index, createdBy: shape.createdBy, entries, tarBytes }
}

/** "50M", "500m", "2G", "1.5G", "123456" -> bytes (K/M/G are powers of 1024). */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)i?b?$/i.exec(text.trim())
  if (!m) throw new Error(`not a size: "${text}" (use e.g. 50M, 500M, 2G)`)
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g']
  return Math.round(Number(m[1]) * unit)
}
