// Streams one archive entry into the object store while hashing it; gzip layers are stored uncompressed.
import { PassThrough, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { BlobStore, MultipartHooks } from '../storage/blob-store'
import { DigestStream } from './digest-stream'
import { detectCompression, decompressorFor } from './compression'
import { ImportError } from './import-error'
import { peekStream } from './stream-head'
import { InflateGuard, type ArchiveBudget } from './inflate-guard'
import type { Limits } from '../config'
import { writeLayerParts, LAYER_PART_SIZE, type StoredParts } from '../resumable/layer-parts'

export type StagedBlob = {
  key: string
  /** digest and size of the bytes as they were in the archive */
  rawDigest: string
  rawSize: number
  /** digest and size of what was stored (uncompressed content) */
  digest: string
  size: number
  /** compression the entry had inside the archive */
  compression: 'none' | 'gzip' | 'zstd'
  /**
   * Settles when the object store has the object. All bytes are read and hashed before stageBlob
   * returns, but finishing the write (S3 CompleteMultipartUpload; s3rver rewrites the object then)
   * may overlap with reading the next entry. Await it before anything refers to the object.
   */
  written: Promise<void>
}

export type StageOptions = {
  maxLayerBytes: number
  entryName: string
  signal?: AbortSignal
  /** bounds on inflating a compressed entry (inflate-guard.ts); the budget is the whole archive's */
  inflate?: { budget: ArchiveBudget | null; limits: Pick<Limits, 'maxInflateRatio' | 'inflateRatioAfterBytes'> }
  /** records the write's multipart upload (lib/lifecycle/multipart-records.ts) */
  multipart?: MultipartHooks
  /**
   * A resumable import: an uncompressed entry is written so that a successor can continue it after a
   * restart (lib/resumable/layer-parts.ts). `onStored` hears, while the entry is being read, how many of
   * its bytes are stored as whole parts; `keepParts` says whether an abort must leave them.
   */
  resumable?: { onStored(bytes: number, stored: StoredParts): void; keepParts(): boolean }
}

const tooLarge = (name: string, limit: number) => () =>
  new ImportError('LAYER_TOO_LARGE', `layer "${name}" is larger than the limit of ${limit} bytes`, 413)

/** Writes an entry's bytes (a stream, or a small buffer already in memory) to `key`. */
export async function stageBlob(store: BlobStore, key: string, body: Readable | Buffer, opts: StageOptions): Promise<StagedBlob> {
  const { stream, head } = Buffer.isBuffer(body) ? { stream: null, head: body } : await peekStream(body, 8)
  const compression = detectCompression(head)
  if (compression === 'zstd' || compression === 'bzip2' || compression === 'xz' || compression === 'zip') {
    if (compression !== 'zstd' || !decompressorFor('zstd')) {
      stream?.destroy()
      throw new ImportError('UNSUPPORTED_COMPRESSION', `layer "${opts.entryName}" is ${compression}-compressed, which this server cannot decompress`)
    }
  }

  const raw = new DigestStream(opts.maxLayerBytes, tooLarge(opts.entryName, opts.maxLayerBytes))
  const stored = new DigestStream(opts.maxLayerBytes, tooLarge(opts.entryName, opts.maxLayerBytes))
  const decompress = decompressorFor(compression)
  const out = new PassThrough({ highWaterMark: 1024 * 1024 })
  const source: Readable = stream ?? readableOf(body as Buffer)

  // Inflated bytes are bounded as they come out of the decompressor, before anything stores them.
  const guard =
    decompress && opts.inflate
      ? new InflateGuard({ what: `layer "${opts.entryName}"`, compressedBytes: () => raw.bytes, budget: opts.inflate.budget, limits: opts.inflate.limits })
      : null
  // Uncompressed entries are hashed once: what was in the archive is what gets stored.
  const stages: any[] = decompress ? [source, raw, decompress, ...(guard ? [guard] : []), stored, out] : [source, raw, out]
  const piping = pipeline(stages).catch((e) => {
    if (e instanceof ImportError) throw e
    if (decompress && (String(e?.code).startsWith('Z_') || /unexpected end of file/i.test(String(e?.message)))) {
      throw new ImportError('CORRUPT_COMPRESSION', `layer "${opts.entryName}" is not valid ${compression} data: ${e.message}`)
    }
    throw e
  })
  let reading = true
  const resumable = compression === 'none' ? opts.resumable : undefined
  const writing = resumable
    ? writeLayerParts(store, key, out, {
        signal: opts.signal,
        ...opts.multipart,
        keepParts: resumable.keepParts,
        // once the entry is read the import has moved on: its next checkpoint is the entry's end
        onDurable: (stored) => reading && resumable.onStored(stored.parts.length * LAYER_PART_SIZE, stored),
      })
    : store.write(key, out, { signal: opts.signal, ...opts.multipart })
  // Either failure tears the other side down so nothing hangs. A failure while reading (bad data,
  // a limit) explains more than the write failure it causes, so it is the one reported.
  piping.catch((e) => out.destroy(e))
  writing.catch((e) => source.destroy(e))
  try {
    await piping
  } catch (e) {
    await writing.catch(() => {})
    throw e
  } finally {
    reading = false
  }
  const rawDigest = raw.digest()
  return {
    key,
    rawDigest,
    rawSize: raw.bytes,
    digest: decompress ? stored.digest() : rawDigest,
    size: decompress ? stored.bytes : raw.bytes,
    compression: compression === 'gzip' || compression === 'zstd' ? compression : 'none',
    written: writing,
  }
}

function readableOf(buf: Buffer): Readable {
  const p = new PassThrough()
  p.end(buf)
  return p
}
