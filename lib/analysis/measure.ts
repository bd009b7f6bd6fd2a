// Size measurements that stream: nothing is kept but a byte count. zlib runs on libuv's thread pool,
// so several measurements in flight use several cores without blocking the event loop.
import zlib from 'node:zlib'
import { Writable, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

/** Docker's default: each layer gzip-compressed at level 6 before it is pushed. */
export const PUSH_GZIP_LEVEL = 6

class ByteCount extends Writable {
  bytes = 0
  _write(chunk: Buffer, _e: BufferEncoding, cb: () => void) {
    this.bytes += chunk.length
    cb()
  }
}

/** Bytes the stream compresses to with gzip at `level`. */
export async function gzipSize(source: Readable, level = PUSH_GZIP_LEVEL): Promise<number> {
  const sink = new ByteCount()
  await pipeline(source, zlib.createGzip({ level, chunkSize: 128 * 1024 }), sink)
  return sink.bytes
}

/** Bytes a gzip stream expands to. */
export async function gunzipSize(source: Readable): Promise<number> {
  const sink = new ByteCount()
  await pipeline(source, zlib.createGunzip({ chunkSize: 128 * 1024 }), sink)
  return sink.bytes
}
