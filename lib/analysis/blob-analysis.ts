// Background work on stored layers, off the upload's critical path: the "compressed" size (what a
// docker push would send) for layers stored uncompressed, and the uncompressed size for layers pushed
// compressed. Each layer is one `blob.measure` job (lib/jobs), keyed by digest so it is queued once;
// Blob.analysisState is the result the console shows (pending → running → done | failed).
import type { Services } from '../services'
import { gzipSize, gunzipSize } from './measure'
import { MediaType } from '../registry/media-types'
import { backgroundPacer } from '../jobs/foreground'

/** attempts after the first failure before a layer's state becomes `failed` */
export const MEASURE_RETRY_LIMIT = 3
const BATCH = 500

/** The job handler: measures one layer. A throw fails the attempt (the queue retries it). */
export async function measureBlob(services: Services, digest: string, attempt: { retryCount: number }) {
  const { db } = services
  const blob = await db.blob.findUnique({ where: { digest } })
  // gone (collected) or measured already (a job sent twice): nothing to do
  if (!blob || (blob.analysisState !== 'pending' && blob.analysisState !== 'running')) return
  await db.blob.update({ where: { digest }, data: { analysisState: 'running' } })
  const pacer = backgroundPacer(services.foreground)
  try {
    await pacer.turn() // foreground work first: wait before reading at all
    const body = await services.store.read(blob.objectKey)
    const compressed = blob.mediaType === MediaType.ociLayerGzip || blob.mediaType === MediaType.dockerLayerGzip
    const data = compressed
      ? { uncompressedSize: BigInt(await gunzipSize(body, pacer.turn)), compressedSize: blob.size }
      : { compressedSize: BigInt(await gzipSize(body, undefined, pacer.turn)), uncompressedSize: blob.size }
    await db.blob.update({ where: { digest }, data: { ...data, analysisState: 'done', analysisError: null, analysisLeaseUntil: null } })
  } catch (e) {
    const last = attempt.retryCount >= MEASURE_RETRY_LIMIT
    const error = String((e as Error)?.message ?? e).slice(0, 500)
    await db.blob
      .updateMany({ where: { digest, analysisState: 'running' }, data: { analysisState: last ? 'failed' : 'pending', analysisError: error, analysisLeaseUntil: null } })
      .catch(() => {})
    throw e
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

/** At start: a job for every layer still waiting (a crash between a commit and its send); answers how many were queued. */
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
    if (batch.length < BATCH) return queued
    after = batch[batch.length - 1].digest
  }
}
