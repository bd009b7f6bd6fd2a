// The image-level analysis (issue 13): once every layer index of a manifest is settled, one
// `image.analyze` job per manifest digest writes the merged index object (lib/layers/merged-tree.ts)
// and computes dive's efficiency (lib/layers/efficiency.ts); the ImageAnalysis row keeps the result.
// Row life, as LayerIndex: pending → building (object key recorded BEFORE the object is written) →
// ready | failed. Every finishing update names its key: when garbage collection deleted the row
// meanwhile (the manifest went), nothing is written back and the fresh object is deleted at once.
import { randomUUID } from 'node:crypto'
import type { Services } from '../services'
import { KEY_PREFIX } from '../registry/staging'
import { indexability, requestIndex } from '../layers/index-state'
import { writeMergedIndex, mergeTextRuns, type MergeLayer } from '../layers/merged-tree'
import { DiveEfficiency, type EfficiencyResult } from '../layers/efficiency'
import { lineHead } from '../layers/index-reader'
import { indexLater } from './blob-analysis'
import type { ImageRef } from './image-ref'

export const IMAGE_INDEX_PREFIX = `${KEY_PREFIX}image-index/`
export const ANALYZE_RETRY_LIMIT = 3

export type LayerState = { position: number; digest: string; state: string }

export type ReadyAnalysis = { objectKey: string; efficiency: EfficiencyResult; layers: LayerState[]; incomplete: boolean; fileCount: number | null; fileBytes: bigint | null }

/** What a request gets: the ready analysis, or the 202 body while layers or the analysis are being built. */
export type AnalysisLookup = { ready: true; analysis: ReadyAnalysis } | { ready: false; body: { state: 'pending' | 'building'; layers: LayerState[] } }

export class AnalysisFailedError extends Error {}

/** layer index states that never turn into an index: the layer counts as empty */
const EMPTY_STATES = new Set(['not-a-tar', 'unsupported', 'failed'])

/** Each layer's index state; asks for the index of a layer that has none (indexed before indexes existed). */
export async function layerStates(services: Services, image: ImageRef): Promise<{ layers: LayerState[]; keys: Map<string, string> }> {
  const rows = await services.db.layerIndex.findMany({ where: { digest: { in: image.layers.map((l) => l.digest) } }, select: { digest: true, state: true, objectKey: true } })
  const byDigest = new Map(rows.map((r) => [r.digest, r]))
  const keys = new Map<string, string>()
  const layers: LayerState[] = []
  for (const l of image.layers) {
    const row = byDigest.get(l.digest)
    let state = row?.state ?? 'pending'
    if (!indexability(l.mediaType).indexable) state = 'unsupported'
    else if (!row) {
      const blob = await services.db.blob.findUnique({ where: { digest: l.digest }, select: { analysisState: true } })
      if (blob && blob.analysisState !== 'pending' && blob.analysisState !== 'running') {
        await requestIndex(services, l.digest)
        await indexLater(services, l.digest)
      }
    }
    if (state === 'ready' && row?.objectKey) keys.set(l.digest, row.objectKey)
    layers.push({ position: l.position, digest: l.digest, state })
  }
  return { layers, keys }
}

const sendAnalyze = (services: Services, digest: string) => services.jobs?.send('image.analyze', { digest }, { singletonKey: digest, retryLimit: ANALYZE_RETRY_LIMIT })

/** The analysis of this image when it is ready; otherwise queues what is missing and says what it waits for. */
export async function lookupAnalysis(services: Services, image: ImageRef): Promise<AnalysisLookup> {
  const { layers } = await layerStates(services, image)
  const incomplete = layers.some((l) => EMPTY_STATES.has(l.state))
  if (layers.some((l) => l.state === 'pending' || l.state === 'building')) return { ready: false, body: { state: 'pending', layers } }
  const row = await services.db.imageAnalysis.findUnique({ where: { digest: image.digest } })
  if (!row) {
    await services.db.imageAnalysis.upsert({ where: { digest: image.digest }, create: { digest: image.digest, state: 'pending' }, update: {} })
    await sendAnalyze(services, image.digest)
    return { ready: false, body: { state: 'pending', layers } }
  }
  if (row.state === 'pending' || row.state === 'building') {
    await sendAnalyze(services, image.digest) // queued once (singleton); after a crash, the build starts over
    return { ready: false, body: { state: row.state as 'pending' | 'building', layers } }
  }
  if (row.state !== 'ready' || !row.objectKey || !row.efficiency) throw new AnalysisFailedError(`the analysis of this image could not be built: ${row.error ?? row.state}`)
  return { ready: true, analysis: { objectKey: row.objectKey, efficiency: JSON.parse(row.efficiency), layers, incomplete, fileCount: row.fileCount, fileBytes: row.fileBytes } }
}

/** The job: builds the merged index and the efficiency of one manifest digest. A throw fails the attempt. */
export async function analyzeImage(services: Services, digest: string, attempt: { retryCount: number }) {
  const { db } = services
  const row = await db.imageAnalysis.findUnique({ where: { digest } })
  if (!row || row.state === 'ready' || row.state === 'failed') return // done already, or collected
  const manifest = await db.manifest.findFirst({
    where: { digest },
    select: { blobs: { where: { role: 'layer' }, orderBy: { position: 'asc' }, select: { position: true, digest: true, blob: { select: { mediaType: true } } } } },
  })
  if (!manifest) {
    await db.imageAnalysis.deleteMany({ where: { digest, objectKey: row.objectKey } })
    return
  }
  const image = { reference: digest, digest, packedSize: null, layers: manifest.blobs.map((b) => ({ position: b.position, digest: b.digest, mediaType: b.blob.mediaType, uncompressedSize: null, compressedSize: null })) }
  const { layers, keys } = await layerStates(services, image)
  if (layers.some((l) => l.state === 'pending' || l.state === 'building')) throw new Error('a layer index is not built yet')
  const key = `${IMAGE_INDEX_PREFIX}${randomUUID()}`
  // the key is named by the row before the object exists (the orphan sweep must not take it)
  await db.imageAnalysis.update({ where: { digest }, data: { state: 'building', objectKey: key, error: null } })
  const merge: MergeLayer[] = layers.map((l) => ({ position: l.position, objectKey: keys.get(l.digest) ?? null }))
  try {
    const outcome = await writeMergedIndex(services, merge, key, `image-analysis:${digest}`)
    const efficiency = await efficiencyOf(services, merge)
    const { count } = await db.imageAnalysis.updateMany({
      where: { digest, objectKey: key },
      data: { state: 'ready', entryCount: outcome.entryCount, fileCount: outcome.fileCount, fileBytes: BigInt(outcome.fileBytes), indexBytes: BigInt(outcome.indexBytes), efficiency: JSON.stringify(efficiency) },
    })
    if (count === 0) await services.store.delete([key]).catch(() => {}) // the manifest was collected meanwhile
  } catch (e) {
    const last = attempt.retryCount >= ANALYZE_RETRY_LIMIT
    await services.store.delete([key]).catch(() => {})
    await db.imageAnalysis.updateMany({ where: { digest, objectKey: key }, data: { state: last ? 'failed' : 'pending', error: String((e as Error)?.message ?? e).slice(0, 500), objectKey: null } }).catch(() => {})
    throw e
  }
}

/** dive's figures: the layer indexes read bottom layer first (a second read: the merge reads top first). */
export async function efficiencyOf(services: Services, layers: MergeLayer[]): Promise<EfficiencyResult> {
  const dive = new DiveEfficiency()
  for (const layer of layers) {
    if (layer.objectKey) {
      for await (const text of mergeTextRuns(services, layer.objectKey)) {
        let start = 0
        for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
          const { p, t, s } = lineHead(text.slice(start, nl))
          dive.entry(p, t, s)
          start = nl + 1
        }
      }
    }
    await dive.endLayer()
  }
  return dive.result()
}
