// Size measurements that stream: nothing is kept but a byte count. zlib runs on libuv's thread pool,
// so several measurements in flight use several cores without blocking the event loop.
import zlib from 'node:zlib'
import { Transform, Writable, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

/** Docker's default: each layer gzip-compressed at level 6 before it is pushed. */
export const PUSH_GZIP_LEVEL = 6

/** Called between chunks; a promise holds the measurement back until it resolves (lib/jobs/foreground.ts). */
export type Pace = () => Promise<void> | undefined

class ByteCount extends Writable {
  bytes = 0
  _write(chunk: Buffer, _e: BufferEncoding, cb: () => void) {
    this.bytes += chunk.length
    cb()
  }
}

/** Passes chunks on, each after `pace` allows it. */
export function paced(pace: Pace) {
  return new Transform({
    transform(chunk, _e, cb) {
      const wait = pace()
      if (!wait) return cb(null, chunk)
      wait.then(() => cb(null, chunk), cb)
    },
  })
}

/** Bytes the stream compresses to with gzip at `level`. */
export async function gzipSize(source: Readable, level = PUSH_GZIP_LEVEL, pace?: Pace): Promise<number> {
  const sink = new ByteCount()
  const gzip = zlib.createGzip({ level, chunkSize: 128 * 1024 })
  await (pace ? pipeline(source, paced(pace), gzip, sink) : pipeline(source, gzip, sink))
  return sink.bytes
}

/** Bytes a gzip stream expands to. */
export async function gunzipSize(source: Readable, pace?: Pace): Promise<number> {
  const sink = new ByteCount()
  const gunzip = zlib.createGunzip({ chunkSize: 128 * 1024 })
  await (pace ? pipeline(source, paced(pace), gunzip, sink) : pipeline(source, gunzip, sink))
  return sink.bytes
}
