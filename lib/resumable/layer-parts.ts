// Writes one uncompressed layer of a resumable import as an S3 multipart upload whose progress can be
// saved: whenever the run of stored parts from part 1 grows, `onDurable` learns the upload id and the
// parts' ETags (the import checkpoints them). A successor after a restart continues the same multipart
// upload (`from`): its parts are numbered after the stored ones, and completing names them all. An abort
// that keeps the upload for a successor (the server stops) leaves the parts and their record in place.
// The part writer itself (lib/storage/part-writer.ts) is reused: same part size, same bounded memory.
import type { Readable } from 'node:stream'
import type { BlobStore, MultipartHooks } from '../storage/blob-store'
import { writeInParts, PartBufferPool, type PartStore } from '../storage/part-writer'
import { MULTIPART_PART_SIZE, MULTIPART_PARTS_IN_FLIGHT } from '../storage/s3-blob-store'
import { forgetMultipart } from '../lifecycle/multipart-records'
import type { Services } from '../services'

export type Part = { partNumber: number; etag: string }
export type StoredParts = { uploadId: string; parts: Part[] }

/** Every part but the last has this size, so `parts.length × LAYER_PART_SIZE` bytes are stored. */
export const LAYER_PART_SIZE = MULTIPART_PART_SIZE

export type LayerPartsOptions = MultipartHooks & {
  signal?: AbortSignal
  /** continue this multipart upload after its parts (numbered 1..n) */
  from?: StoredParts
  /** parts 1..n are all stored (called in order, n growing) */
  onDurable?: (stored: StoredParts) => void
  /** true when an abort must keep the parts for a successor */
  keepParts?: () => boolean
}

/** Part buffers of resumable layer writes (the store's own pool is private to it). */
const pool = new PartBufferPool()

export class PartsKeptError extends Error {
  constructor() {
    super('the multipart upload is kept for the import that continues this upload')
  }
}

export async function writeLayerParts(store: BlobStore, key: string, body: Readable, opts: LayerPartsOptions): Promise<void> {
  const before = opts.from?.parts ?? []
  const base = before.length
  const stored = new Map<number, string>(before.map((p) => [p.partNumber, p.etag]))
  let run = base
  const renumber = (parts: Part[]) => [...before, ...parts.map((p) => ({ partNumber: base + p.partNumber, etag: p.etag }))]

  const parts: PartStore = {
    startMultipart: async (k) => opts.from?.uploadId ?? store.startMultipart(k),
    writePart: async (k, id, n, part) => {
      const etag = await store.writePart(k, id, base + n, part)
      stored.set(base + n, etag)
      const grew = stored.has(run + 1)
      while (stored.has(run + 1)) run++
      if (grew) {
        const list: Part[] = []
        for (let i = 1; i <= run; i++) list.push({ partNumber: i, etag: stored.get(i)! })
        opts.onDurable?.({ uploadId: id, parts: list })
      }
      return etag
    },
    completeMultipart: (k, id, written) => store.completeMultipart(k, id, renumber(written)),
    abortMultipart: async (k, id) => {
      if (opts.keepParts?.()) throw new PartsKeptError() // the record stays too: expiry acts if nobody comes back
      await store.abortMultipart(k, id)
    },
    putObject: async (k, buffer, signal) => {
      if (!opts.from) return store.write(k, buffer, { signal })
      // a continued upload whose rest is shorter than a part: that rest is its last part
      const { uploadId } = opts.from
      const last = buffer.length ? [{ partNumber: base + 1, etag: await store.writePart(k, uploadId, base + 1, buffer) }] : []
      await store.completeMultipart(k, uploadId, [...before, ...last])
      await opts.onMultipartEnd?.(uploadId).catch(() => {})
    },
  }
  await writeInParts(parts, key, body, {
    partSize: LAYER_PART_SIZE,
    partsInFlight: MULTIPART_PARTS_IN_FLIGHT,
    pool,
    signal: opts.signal,
    // a continued upload was recorded when it started
    onMultipartStart: opts.from ? undefined : opts.onMultipartStart,
    onMultipartEnd: opts.onMultipartEnd,
  })
}

/** Discards the kept parts of a layer whose upload was cancelled, and their record. */
export async function abortStoredParts(services: Pick<Services, 'db' | 'store'>, key: string, uploadId: string) {
  await services.store.abortMultipart(key, uploadId)
  await forgetMultipart(services.db, uploadId)
}
