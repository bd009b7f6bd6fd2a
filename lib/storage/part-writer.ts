// Streams a body of unknown length into an object store as a multipart upload, with memory that is
// fixed per write: one part-sized buffer being filled plus at most `partsInFlight` being sent, all
// taken from a process-wide pool and reused, so an import's memory does not depend on the layer size
// and big buffers are not left for the garbage collector. A body smaller than one part is written
// with a single PUT. Works on any driver that has the BlobStore multipart primitives.
import type { Readable } from 'node:stream'
import type { BlobStore, MultipartHooks } from './blob-store'

export type PartStore = Pick<BlobStore, 'startMultipart' | 'writePart' | 'completeMultipart' | 'abortMultipart'> & {
  putObject(key: string, body: Buffer, signal?: AbortSignal): Promise<void>
}

export type PartWriterOptions = MultipartHooks & { partSize: number; partsInFlight: number; pool: PartBufferPool; signal?: AbortSignal }

export async function writeInParts(store: PartStore, key: string, body: Readable, opts: PartWriterOptions): Promise<void> {
  const { partSize, pool, signal } = opts
  let uploadId: string | null = null
  let partNumber = 0
  let buffer: Buffer | null = pool.take(partSize)
  let fill = 0
  const sending = new Set<Promise<void>>()
  const parts: { partNumber: number; etag: string }[] = []
  let sendError: unknown = null

  const send = async (part: Buffer, length: number) => {
    if (!uploadId) {
      const started = await store.startMultipart(key)
      // recorded before any part exists: a crash from here on leaves a record that expiry can act on
      await opts.onMultipartStart?.(started).catch(async (e) => {
        await store.abortMultipart(key, started).catch(() => {})
        throw e
      })
      uploadId = started
    }
    const number = ++partNumber
    const id = uploadId
    const sent = store
      .writePart(key, id, number, part.subarray(0, length))
      .then((etag) => void parts.push({ partNumber: number, etag }))
      .catch((e) => {
        sendError ??= e
        // stop reading at once, and with this error: leaving the loop below by a throw would destroy
        // the body with a bare AbortError, and the importer would report that instead of the cause
        body.destroy(e as Error)
      })
      .finally(() => {
        pool.give(part)
        sending.delete(sent)
      })
    sending.add(sent)
    while (sending.size > opts.partsInFlight) await Promise.race(sending)
    if (sendError) {
      body.destroy(sendError as Error)
      throw sendError
    }
  }

  const onAbort = () => body.destroy(signal!.reason instanceof Error ? signal!.reason : new Error('the write was aborted'))
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    if (signal?.aborted) onAbort()
    for await (const chunk of body as AsyncIterable<Buffer>) {
      for (let offset = 0; offset < chunk.length; ) {
        const n = chunk.copy(buffer!, fill, offset)
        fill += n
        offset += n
        if (fill === partSize) {
          const full = buffer!
          buffer = null // taken again only once a send slot is free: at most partsInFlight + 1 out
          fill = 0
          await send(full, partSize)
          buffer = pool.take(partSize)
        }
      }
    }
    if (partNumber === 0) {
      // never filled a part: one PUT
      await store.putObject(key, buffer!.subarray(0, fill), signal)
      return
    }
    if (fill > 0) {
      const last = buffer!
      buffer = null // the pool gets it back when its part is sent
      await send(last, fill)
    }
    await Promise.all(sending)
    if (sendError) throw sendError
    parts.sort((a, b) => a.partNumber - b.partNumber)
    await store.completeMultipart(key, uploadId!, parts)
    await opts.onMultipartEnd?.(uploadId!).catch(() => {}) // the object is stored; a stale record is expiry's
  } catch (e) {
    await Promise.allSettled(sending)
    // S3 would keep the parts (and bill them); when aborting fails, the record stays for expiry
    if (uploadId && (await store.abortMultipart(key, uploadId).then(() => true, () => false))) await opts.onMultipartEnd?.(uploadId).catch(() => {})
    throw e
  } finally {
    signal?.removeEventListener('abort', onAbort)
    if (buffer) pool.give(buffer)
  }
}

/**
 * Part buffers shared by all writes. Buffers come back after use; up to `keepIdle` are kept for the
 * next write and dropped once the pool has been unused for `idleMs`, so an idle server holds none.
 */
export class PartBufferPool {
  private free: Buffer[] = []
  private timer: NodeJS.Timeout | null = null

  constructor(
    private keepIdle = 4,
    private idleMs = 10_000,
  ) {}

  take(size: number): Buffer {
    const i = this.free.findIndex((b) => b.length === size)
    return i >= 0 ? this.free.splice(i, 1)[0] : Buffer.allocUnsafe(size)
  }

  give(buffer: Buffer) {
    if (this.free.length < this.keepIdle && !this.free.includes(buffer)) this.free.push(buffer)
    this.timer?.refresh()
    this.timer ??= setTimeout(() => {
      this.free = []
      this.timer = null
    }, this.idleMs).unref()
  }

  /** buffers kept for reuse right now */
  get idle() {
    return this.free.length
  }
}
