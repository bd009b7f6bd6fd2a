// ObjectTombstone rows name objects whose Blob row is gone: delete the object from the bucket, then the
// record (a crash in between leaves the record, and the next run deletes the object again: deleting a
// missing object is no error). Object keys are random per upload, so a re-upload of the same digest got
// a new key and deleting the old one can never hurt it; the Blob check below is only a second guard.
import { BATCH, yieldToEventLoop } from '../registry/bulk-sql'
import type { GcContext } from './gc-context'

export async function finishTombstones(ctx: GcContext): Promise<void> {
  const { db, store } = ctx.services
  let after = ''
  for (;;) {
    const rows = await db.objectTombstone.findMany({ where: { objectKey: { gt: after } }, orderBy: { objectKey: 'asc' }, take: BATCH, select: { objectKey: true, size: true } })
    if (!rows.length) return
    after = rows[rows.length - 1].objectKey
    const keys = rows.map((r) => r.objectKey)
    const named = new Set((await db.blob.findMany({ where: { objectKey: { in: keys } }, select: { objectKey: true } })).map((b) => b.objectKey))
    const gone = rows.filter((r) => !named.has(r.objectKey))
    if (!ctx.dryRun) {
      await ctx.stillLeader()
      if (gone.length) await store.delete(gone.map((r) => r.objectKey))
      await db.objectTombstone.deleteMany({ where: { objectKey: { in: keys } } })
    }
    for (const r of gone) ctx.tally.object(Number(r.size))
    await yieldToEventLoop()
  }
}
