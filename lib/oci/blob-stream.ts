// Streams exactly `length` bytes of an object to the client. The count is enforced here rather than
// trusted to the object store (s3rver answers "bytes=0-0" with the whole object); a short read is an
// error, so the client sees a broken download instead of a silently shorter one.
import type { Readable, Writable } from 'node:stream'
import type { BlobStore, ByteRange } from '../storage/blob-store'

/**
 * Copies the first `length` (> 0) bytes of `source` to `out` and ends `out`. Plain 'data' events with
 * pause/resume on backpressure: this is the registry's hot path (every pulled byte passes here), and
 * an async iterator would cost a promise per chunk.
 */
function copyExactly(source: Readable, out: Writable, length: number, sink?: (chunk: Buffer) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let left = length
    let settled = false
    const finish = (error?: Error) => {
      if (settled) return
      settled = true
      source.off('data', onData)
      out.off('drain', onDrain)
      out.off('close', onClose)
      if (error) {
        source.destroy()
        out.destroy(error)
        reject(error)
      } else resolve()
    }
    const onData = (chunk: Buffer) => {
      if (left === 0) return void source.destroy() // more than asked after an exact chunk boundary: stop it
      if (chunk.length >= left) {
        const exact = chunk.length === left
        const last = exact ? chunk : chunk.subarray(0, left)
        left = 0
        sink?.(last)
        // Exactly what was asked (the normal case): let the store's response end, so its keep-alive socket
        // goes back to the pool; destroying it closed the socket and every blob GET paid a new connection
        // to the store. More than asked (s3rver ignores some ranges): nothing more is needed, stop it.
        if (exact) source.resume()
        else source.destroy()
        out.end(last, () => finish())
        return
      }
      left -= chunk.length
      sink?.(chunk)
      if (!out.write(chunk)) source.pause()
    }
    const onDrain = () => source.resume()
    const onClose = () => finish(left > 0 ? new Error('the client closed the connection') : undefined)
    source.on('data', onData)
    source.once('end', () => {
      if (left > 0) finish(new Error(`the object store returned ${length - left} of ${length} bytes`))
    })
    source.once('error', (e) => finish(e))
    out.on('drain', onDrain)
    out.once('close', onClose)
  })
}

/**
 * Pipes `range` (or the whole object of `size` bytes) of `key` into `out`. `start` (writing the answer's
 * head) runs once the object store has answered, so a store that cannot be reached still gets a clean
 * error answer instead of a broken download. `sink` also gets every chunk sent (a cache filling).
 */
export async function streamObject(store: BlobStore, key: string, size: number, out: Writable, range?: ByteRange, start?: () => void, sink?: (chunk: Buffer) => void) {
  const length = range ? range.end - range.start + 1 : size
  if (length === 0) {
    start?.()
    out.end()
    return
  }
  const source = await store.read(key, range)
  start?.()
  await copyExactly(source, out, length, sink)
}
