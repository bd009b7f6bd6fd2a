// How fast the pure-JS zstd decoder (lib/layers/zstd-stream.ts) runs and how long it holds the event loop:
// decodes the given .zst files, prints bytes, sha256, MB/s, setImmediate turns and the event-loop delay
// (perf_hooks histogram, p99 and max). Usage: npx tsx bench/zstd-stream.ts FILE.zst...
import { createReadStream } from 'node:fs'
import { createHash } from 'node:crypto'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createZstdDecompress } from '../lib/layers/zstd-stream'

for (const file of process.argv.slice(2)) {
  const hash = createHash('sha256')
  let bytes = 0
  const z = createZstdDecompress()
  const delay = monitorEventLoopDelay({ resolution: 5 })
  delay.enable()
  const t0 = process.hrtime.bigint()
  try {
    await pipeline(createReadStream(file), z, new Writable({ write: (c, _e, cb) => (hash.update(c), (bytes += c.length), cb()) }))
    const s = Number(process.hrtime.bigint() - t0) / 1e9
    delay.disable()
    const ms = (n: number) => (n / 1e6).toFixed(0)
    console.log(`${file}: ${bytes} bytes sha256:${hash.digest('hex').slice(0, 16)}… ${(bytes / 1e6 / s).toFixed(0)} MB/s, ${z.yields} yields, loop delay p99 ${ms(delay.percentile(99))} ms max ${ms(delay.max)} ms`)
  } catch (e) {
    console.log(`${file}: refused: ${(e as Error).message}`)
  }
}
