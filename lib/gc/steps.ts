// The steps of one run (GC_STEPS in run-gc.ts), each safe to be cut off at any point: what it deleted is
// committed as it goes (a row, or a batch of at most 100, per transaction), and the next run's queries
// find what it left.
import type { GcContext } from './gc-context'
import { deadBlobs, deadLinks, deadManifests, emptyRepositories } from './candidates'
import { deleteBlobRows, deleteLinks, deleteManifest, deleteRepository } from './delete-rows'
import { finishTombstones } from './tombstones'
import { sweepOrphans } from './orphans'
import type { GcStep } from './run-gc'
import { collectImageAnalyses } from '../analysis/image-analysis-gc'

/** An index is deleted before its children, a subject before its referrers: each pass frees the next level. */
const MAX_MANIFEST_PASSES = 8

async function manifests(ctx: GcContext) {
  await deleteManifests(ctx)
  await collectImageAnalyses(ctx) // the merged trees of manifests no repository has any more
}

async function deleteManifests(ctx: GcContext) {
  const { db } = ctx.services
  for (let pass = 0; pass < (ctx.dryRun ? 1 : MAX_MANIFEST_PASSES); pass++) {
    let deleted = 0
    for await (const batch of deadManifests(db, ctx.cutoff, { batchRows: ctx.batchRows })) {
      if (ctx.dryRun) {
        for (const m of batch) ctx.tally.manifest(m.repository)
        continue
      }
      await ctx.stillLeader()
      for (const m of batch) {
        if ((await deleteManifest(db, m, ctx.cutoff)) === 'deleted') {
          ctx.tally.manifest(m.repository)
          deleted++
        }
      }
    }
    if (!deleted) return
  }
}

async function links(ctx: GcContext) {
  const { db } = ctx.services
  for await (const batch of deadLinks(db, ctx.cutoff, { batchRows: ctx.batchRows })) {
    if (!ctx.dryRun) await ctx.stillLeader()
    for (const l of ctx.dryRun ? batch : await deleteLinks(db, batch, ctx.cutoff)) ctx.tally.link(l.repository, l.digest)
  }
}

async function blobs(ctx: GcContext) {
  const { db } = ctx.services
  for await (const batch of deadBlobs(db, ctx.cutoff, { batchRows: ctx.batchRows })) {
    if (!ctx.dryRun) await ctx.stillLeader()
    for (const b of ctx.dryRun ? batch : await deleteBlobRows(db, batch, ctx.cutoff)) {
      ctx.tally.blob(b.digest, b.size, b.repository)
      if (ctx.dryRun) ctx.tally.object(b.size) // the object a real run deletes in the next step
    }
  }
}

async function objects(ctx: GcContext) {
  if (ctx.dryRun) return // nothing was tombstoned; the blobs step counted their objects
  await finishTombstones(ctx)
}

async function repositories(ctx: GcContext) {
  const { db } = ctx.services
  for await (const batch of emptyRepositories(db, ctx.cutoff, { batchRows: ctx.batchRows })) {
    if (!ctx.dryRun) await ctx.stillLeader()
    for (const r of batch) {
      if (ctx.dryRun || (await deleteRepository(db, r)) === 'deleted') ctx.tally.repositoryRemoved(r.name)
    }
  }
}

export const STEP_WORK: Record<Exclude<GcStep, 'finish'>, (ctx: GcContext) => Promise<void>> = {
  tombstones: finishTombstones,
  manifests,
  links,
  blobs,
  objects,
  orphans: sweepOrphans,
  repositories,
}
