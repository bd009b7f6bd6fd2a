// Garbage collection of image analyses: a row (and its merged index object) goes once no repository
// has a manifest of its digest any more. Row delete and tombstone in one transaction, as blob rows
// (lib/gc/delete-rows.ts); the tombstones step deletes the objects. A build that finishes after its row
// went deletes its own object (lib/analysis/image-analysis.ts).
import type { GcContext } from '../gc/gc-context'
import { BATCH, insertRows, yieldToEventLoop } from '../registry/bulk-sql'

export async function collectImageAnalyses(ctx: GcContext): Promise<void> {
  const { db } = ctx.services
  let after = ''
  for (;;) {
    const rows = await db.imageAnalysis.findMany({ where: { digest: { gt: after } }, orderBy: { digest: 'asc' }, take: BATCH, select: { digest: true } })
    if (!rows.length) return
    after = rows[rows.length - 1].digest
    const digests = rows.map((r) => r.digest)
    const live = new Set((await db.manifest.findMany({ where: { digest: { in: digests } }, select: { digest: true }, distinct: ['digest'] })).map((m) => m.digest))
    const dead = digests.filter((d) => !live.has(d))
    if (dead.length && !ctx.dryRun) {
      await ctx.stillLeader()
      await db.$transaction(
        async (tx) => {
          // looked at again inside: a manifest of that digest pushed meanwhile keeps its analysis
          const again = new Set((await tx.manifest.findMany({ where: { digest: { in: dead } }, select: { digest: true }, distinct: ['digest'] })).map((m) => m.digest))
          const gone = dead.filter((d) => !again.has(d))
          const objects = await tx.imageAnalysis.findMany({ where: { digest: { in: gone }, objectKey: { not: null } }, select: { objectKey: true, indexBytes: true } })
          await tx.imageAnalysis.deleteMany({ where: { digest: { in: gone } } })
          const now = new Date()
          await insertRows(tx as typeof db, 'ObjectTombstone', [['objectKey', 'text'], ['size', 'bigint'], ['createdAt', 'timestamp']], objects.map((o) => [o.objectKey!, o.indexBytes ?? 0n, now]))
        },
        { timeout: 30_000, maxWait: 30_000 },
      )
    }
    await yieldToEventLoop()
  }
}
