// The LayerIndex row of a layer digest through its life: pending (asked for) → building (its object key
// recorded before the object is written) → ready | not-a-tar | failed. Every finishing update names the
// object key it built: when garbage collection deleted the row meanwhile (the blob went), nothing is
// written back and the fresh object is deleted at once.
import zlib from 'node:zlib'
import type { Transform } from 'node:stream'
import type { Services } from '../services'
import { createZstdDecompress } from './zstd-stream'
import { MediaType } from '../registry/media-types'
import type { IndexBuilder } from './index-builder'

const TAR_TYPES = new Set<string>([MediaType.ociLayer, 'application/vnd.docker.image.rootfs.diff.tar'])
const GZIP_TYPES = new Set<string>([MediaType.ociLayerGzip, MediaType.dockerLayerGzip])

/** How a layer of this media type is stored: its index offsets are of the decompressed stream unless null. */
export type LayerCompression = 'gzip' | 'zstd' | null
export function layerCompression(mediaType: string | null): LayerCompression {
  if (mediaType && GZIP_TYPES.has(mediaType)) return 'gzip'
  return mediaType === MediaType.ociLayerZstd ? 'zstd' : null
}

/** A streaming decompressor for a compressed layer (zstd: pure JS, yields between bounded steps). */
export function layerDecompressor(c: 'gzip' | 'zstd'): Transform {
  return c === 'gzip' ? zlib.createGunzip({ chunkSize: 128 * 1024 }) : createZstdDecompress()
}

export type Indexability = { indexable: true } | { indexable: false; reason: string }

/** Whether a blob of this media type gets an index, and why not. */
export function indexability(mediaType: string | null): Indexability {
  if (mediaType && (TAR_TYPES.has(mediaType) || layerCompression(mediaType))) return { indexable: true }
  return { indexable: false, reason: mediaType ? `a blob of type ${mediaType} is not a layer` : 'this blob is not known as a layer (no manifest names it with a layer type)' }
}

type BlobFacts = { digest: string; mediaType: string | null; analysisState: string }

/** Whether the background pass of this blob should build its index. */
export async function wantsIndex(services: Services, blob: BlobFacts): Promise<boolean> {
  if (!indexability(blob.mediaType).indexable) return false
  const row = await services.db.layerIndex.findUnique({ where: { digest: blob.digest }, select: { state: true } })
  // a new layer (being measured) is indexed in the same pass; an older one when someone asked (a pending row)
  if (!row) return blob.analysisState === 'pending' || blob.analysisState === 'running'
  return row.state === 'pending' || row.state === 'building'
}

export async function finishIndex(services: Services, digest: string, builder: IndexBuilder): Promise<void> {
  const outcome = await builder.finish()
  const where = { digest, objectKey: builder.key }
  if (outcome.state === 'not-a-tar') {
    await services.db.layerIndex.updateMany({ where, data: { state: 'not-a-tar', error: outcome.error.slice(0, 500), objectKey: null } })
    return
  }
  const { count } = await services.db.layerIndex.updateMany({
    where,
    data: {
      state: 'ready',
      error: null,
      entryCount: outcome.entryCount,
      fileCount: outcome.fileCount,
      fileBytes: BigInt(outcome.fileBytes),
      indexBytes: BigInt(outcome.indexBytes),
      compressedContentBytes: BigInt(outcome.compressedContentBytes),
      compressibleBytes: BigInt(outcome.compressibleBytes),
    },
  })
  if (count === 0) await services.store.delete([builder.key]).catch(() => {}) // the blob was collected meanwhile
}

/** The pass failed (storage, database): the object goes; the row waits for the retry, or is `failed` after the last. */
export async function failIndex(services: Services, digest: string, builder: IndexBuilder, error: string, last: boolean): Promise<void> {
  await builder.discard()
  await services.db.layerIndex.updateMany({ where: { digest, objectKey: builder.key }, data: { state: last ? 'failed' : 'pending', error, objectKey: null } })
}

/** Asks for the index of a layer that has none (measured before indexes existed, or failed): a pending row. */
export async function requestIndex(services: Services, digest: string): Promise<void> {
  await services.db.layerIndex.upsert({ where: { digest }, create: { digest, state: 'pending' }, update: {} })
}

/** Digests whose index waits (pending, or building when a crash cut the build off), in batches. */
export async function* pendingIndexDigests(db: Services['db'], batch: number): AsyncIterable<string[]> {
  let after = ''
  for (;;) {
    const rows = await db.layerIndex.findMany({ where: { state: { in: ['pending', 'building'] }, digest: { gt: after } }, orderBy: { digest: 'asc' }, take: batch, select: { digest: true } })
    if (rows.length) yield rows.map((r) => r.digest)
    if (rows.length < batch) return
    after = rows[rows.length - 1].digest
  }
}
