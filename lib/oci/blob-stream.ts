// Streams exactly `length` bytes of an object to the client. The count is enforced here rather than
// trusted to the object store (s3rver answers "bytes=0-0" with the whole object); a short read is an
// error, so the client sees a broken download instead of a silently shorter one.
import type { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { BlobStore, ByteRange } from '../storage/blob-store'

export async function* exactly(source: Readable, length: number): AsyncGenerator<Buffer> {
  let left = length
  if (left === 0) {
    source.destroy()
    return
  }
  for await (const chunk of source) {
    const buf = chunk as Buffer
    if (buf.length >= left) {
      yield buf.subarray(0, left)
      left = 0
      break // ends the loop and destroys the source: nothing more is read
    }
    left -= buf.length
    yield buf
  }
  if (left > 0) throw new Error(`the object store returned ${length - left} of ${length} bytes`)
}

/** Pipes `range` (or the whole object of `size` bytes) of `key` into `out`. */
export async function streamObject(store: BlobStore, key: string, size: number, out: Writable, range?: ByteRange) {
  const length = range ? range.end - range.start + 1 : size
  if (length === 0) {
    out.end()
    return
  }
  const source = await store.read(key, range)
  await pipeline(exactly(source, length), out)
}
