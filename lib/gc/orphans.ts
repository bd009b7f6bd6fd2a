// Objects in the bucket that no row names (left by a crash before any row existed, or by an older
// version): listed page by page and deleted when older than the grace. Every writer records an object's
// row (StagedObject, upload session) BEFORE writing it, and adopting it keeps it named (Blob, then
// ObjectTombstone), so an unnamed object can never become named again; the grace covers a store whose
// listing lags behind its writes.
import type { Services } from '../services'
import { BATCH, yieldToEventLoop } from '../registry/bulk-sql'
import type { GcContext } from './gc-context'

/** Every object key Stowage writes (lib/registry/staging.ts newObjectKey). */
const OBJECT_PREFIX = 'blobs/'

type Listed = { key: string; size: number; lastModified?: Date }

/**
 * The keys some row names. A key's name moves forward only, each move one transaction: upload session /
 * staged object / multipart record -> Blob (adoption) -> ObjectTombstone (GC's blob delete). The tables
 * are read one after the other in that order, never at once: parallel reads see different moments, and a
 * key adopted between the Blob read and the staged read would look unnamed (and lose its object).
 */
export async function namedKeys(db: Services['db'], keys: string[]): Promise<Set<string>> {
  const inKeys = { in: keys }
  const named = new Set<string>()
  for (const r of await db.multipartUpload.findMany({ where: { objectKey: inKeys }, select: { objectKey: true } })) named.add(r.objectKey)
  for (const r of await db.blobUploadSession.findMany({ where: { OR: [{ objectKey: inKeys }, { tailKey: inKeys }] }, select: { objectKey: true, tailKey: true } })) {
    named.add(r.objectKey)
    if (r.tailKey) named.add(r.tailKey)
  }
  for (const r of await db.stagedObject.findMany({ where: { objectKey: inKeys }, select: { objectKey: true } })) named.add(r.objectKey)
  for (const r of await db.blob.findMany({ where: { objectKey: inKeys }, select: { objectKey: true } })) named.add(r.objectKey)
  for (const r of await db.layerIndex.findMany({ where: { objectKey: inKeys }, select: { objectKey: true } })) named.add(r.objectKey!) // written after its row (lib/layers)
  for (const r of await db.imageAnalysis.findMany({ where: { objectKey: inKeys }, select: { objectKey: true } })) named.add(r.objectKey!) // written after its row (lib/analysis/image-analysis.ts)
  for (const r of await db.objectTombstone.findMany({ where: { objectKey: inKeys }, select: { objectKey: true } })) named.add(r.objectKey)
  return named
}

export async function sweepOrphans(ctx: GcContext): Promise<void> {
  let page: Listed[] = []
  const flush = async () => {
    const batch = page
    page = []
    if (!batch.length) return
    const named = await namedKeys(ctx.services.db, batch.map((o) => o.key))
    const orphans = batch.filter((o) => !named.has(o.key))
    if (orphans.length && !ctx.dryRun) {
      await ctx.stillLeader()
      await ctx.services.store.delete(orphans.map((o) => o.key))
    }
    for (const o of orphans) ctx.tally.object(o.size)
    await yieldToEventLoop()
  }
  for await (const o of ctx.services.store.list(OBJECT_PREFIX)) {
    // an object whose age the store does not tell is kept: it may be in the middle of being adopted
    if (!o.lastModified || o.lastModified > ctx.cutoff) continue
    page.push(o)
    if (page.length >= BATCH) await flush()
  }
  await flush()
}
