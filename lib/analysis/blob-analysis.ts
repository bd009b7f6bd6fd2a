// Background work on stored layers, off the upload's critical path: the "compressed" size (what a
// docker push would send) for layers stored uncompressed, and the uncompressed size for layers pushed
// compressed. Each layer is one `blob.measure` job (lib/jobs), keyed by digest so it is queued once;
// Blob.analysisState is the result the console shows (pending → running → done | failed). The same
// read builds the layer's file index (LayerIndex, lib/layers).
import type { Services } from '../services'
import { readLayerOnce } from './layer-pass'
import { IndexBuilder } from '../layers/index-builder'
import { wantsIndex, finishIndex, failIndex, pendingIndexDigests, layerCompression } from '../layers/index-state'
import { backgroundPacer } from '../jobs/foreground'
import { ZstdStreamError } from '../layers/zstd-stream'

/** attempts after the first failure before a layer's state becomes `failed` */
export const MEASURE_RETRY_LIMIT = 3
const BATCH = 500

/**
 * The job handler: measures one layer and builds its file index (lib/layers) in ONE read of the object.
 * Also run for a layer measured before indexes existed (its LayerIndex row is pending). A throw fails
 * the attempt (the queue retries it).
 */
export async function measureBlob(services: Services, digest: string, attempt: { retryCount: number }) {
  const { db } = services
  const blob = await db.blob.findUnique({ where: { digest } })
  if (!blob) return // gone (collected)
  const measure = blob.analysisState === 'pending' || blob.analysisState === 'running'
  const indexWanted = await wantsIndex(services, blob)
  if (!measure && !indexWanted) return // done already (a job sent twice)
  if (measure) await db.blob.update({ where: { digest }, data: { analysisState: 'running' } })
  const pacer = backgroundPacer(services.foreground)
  const compression = layerCompression(blob.mediaType)
  let index: IndexBuilder | null = null
  try {
    await pacer.turn() // foreground work first: wait before reading at all
    const body = await services.store.read(blob.objectKey)
    if (indexWanted) index = await IndexBuilder.start(services, digest, compression ? 'decompressed' : 'stored')
    const pass = await readLayerOnce(body, { compression, measure, index, pace: pacer.turn })
    if (index) await finishIndex(services, digest, index)
    index = null
    if (measure) {
      const data = compression
        ? { uncompressedSize: BigInt(pass.uncompressedBytes), compressedSize: blob.size }
        : { compressedSize: BigInt(pass.gzipBytes!), uncompressedSize: blob.size }
      await db.blob.update({ where: { digest }, data: { ...data, analysisState: 'done', analysisError: null } })
    }
  } catch (e) {
    // a corrupt zstd body fails the same way every time: recorded as failed at once, not retried
    const corrupt = e instanceof ZstdStreamError
    const last = corrupt || attempt.retryCount >= MEASURE_RETRY_LIMIT
    const error = String((e as Error)?.message ?? e).slice(0, 500)
    if (index) await failIndex(services, digest, index, error, last).catch(() => {})
    if (measure) {
      await db.blob
        .updateMany({ where: { digest, analysisState: 'running' }, data: { analysisState: last ? 'failed' : 'pending', analysisError: error } })
        .catch(() => {})
    }
    if (!corrupt) throw e
  } finally {
    pacer.done()
  }
}

const send = (services: Services, digest: string) =>
  services.jobs!.send('blob.measure', { digest }, { singletonKey: digest, retryLimit: MEASURE_RETRY_LIMIT })

/**
 * After a commit: queues a measurement for each of these blobs that waits for one. Never throws: the
 * commit is done; a blob whose job could not be sent is found by the start-up reconcile.
 */
export async function measureLater(services: Services, digests: Iterable<string>) {
  if (!services.jobs) return
  const all = [...new Set(digests)]
  try {
    for (let i = 0; i < all.length; i += BATCH) {
      const pending = await services.db.blob.findMany({ where: { digest: { in: all.slice(i, i + BATCH) }, analysisState: 'pending' }, select: { digest: true } })
      for (const b of pending) await send(services, b.digest)
    }
  } catch (e) {
    console.error(`queueing compressed-size measurements failed (queued at the next start): ${(e as Error).message}`)
  }
}

/** At start: a job for every layer still waiting (a crash between a commit and its send) or whose index waits; answers how many were queued. */
export async function reconcileMeasurements(services: Services): Promise<number> {
  let queued = 0
  let after = ''
  for (;;) {
    const batch = await services.db.blob.findMany({
      where: { analysisState: { in: ['pending', 'running'] }, digest: { gt: after } },
      orderBy: { digest: 'asc' },
      take: BATCH,
      select: { digest: true },
    })
    for (const b of batch) if (await send(services, b.digest)) queued++
    if (batch.length < BATCH) break
    after = batch[batch.length - 1].digest
  }
  // indexes asked for (or cut off by a crash) of layers measured already
  for await (const digests of pendingIndexDigests(services.db, BATCH)) for (const d of digests) if (await send(services, d)) queued++
  return queued
}

/** Queues the pass that builds a layer's index (the API asks when it finds none); false when no queue runs. */
export async function indexLater(services: Services, digest: string): Promise<boolean> {
  if (!services.jobs) return false
  await send(services, digest)
  return true
}
