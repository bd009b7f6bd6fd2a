// What the bucket holds and what garbage collection would free now (GET /api/storage).
//   logical: each repository's linked blobs summed per repository (what each would cost alone);
//   physical: every Blob once (what is stored after deduplication);
//   reclaimable: the dry-run estimate of the blobs step (same candidate query) plus objects awaiting
//   deletion (ObjectTombstone: their rows are gone already, their bytes not yet).
// Objects no row names (the orphans step) are not counted: finding them means listing the whole bucket.
import type { Services } from '../services'
import { lifecycleOf } from '../lifecycle/settings'
import { deadBlobTotals } from './candidates'
import { lastGcRun, type GcRunView } from './gc-runs'

export type StorageUsage = {
  logicalBytes: number
  physicalBytes: number
  reclaimableBytes: number
  graceSeconds: number
  blobs: number
  manifests: number
  repositories: number
  lastRun: GcRunView | null
}

export async function storageUsage(services: Services): Promise<StorageUsage> {
  const { db } = services
  const graceSeconds = lifecycleOf(services).gcGraceSeconds
  const cutoff = new Date(Date.now() - graceSeconds * 1000)
  const [[logical], [physical], [tombstoned], dead, manifests, repositories, lastRun] = await Promise.all([
    db.$queryRaw<{ bytes: unknown }[]>`SELECT COALESCE(SUM(b.size), 0) AS bytes FROM "RepositoryBlob" rb JOIN "Blob" b ON b.digest = rb.digest`,
    db.$queryRaw<{ bytes: unknown; blobs: unknown }[]>`SELECT COALESCE(SUM(size), 0) AS bytes, COUNT(*) AS blobs FROM "Blob"`,
    db.$queryRaw<{ bytes: unknown }[]>`SELECT COALESCE(SUM(size), 0) AS bytes FROM "ObjectTombstone"`,
    deadBlobTotals(db, cutoff, { batchRows: lifecycleOf(services).gcBatchRows }),
    db.manifest.count(),
    db.repository.count(),
    lastGcRun(db),
  ])
  const tombstonedBytes = Number(tombstoned.bytes)
  return {
    logicalBytes: Number(logical.bytes),
    physicalBytes: Number(physical.bytes),
    reclaimableBytes: dead.bytes + tombstonedBytes,
    graceSeconds,
    blobs: Number(physical.blobs),
    manifests,
    repositories,
    lastRun,
  }
}
