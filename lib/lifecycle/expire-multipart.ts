// Aborts S3 multipart uploads that nothing can complete any more, by ownership rather than by "at start
// nothing is being written" (another instance may be writing). Recorded uploads (multipart-records.ts):
//  - of an archive upload that is over (committed or failed): at once. A receiving upload's are kept; if
//    its lease ran out, collectInterruptedUploads fails it first, and the next pass takes them.
//  - of a registry push session that no longer exists: at once; of one that exists but uses another
//    upload id (it failed to record it): once older than STOWAGE_MULTIPART_EXPIRY_SECONDS.
//  - of an owner nobody knows: once older than that.
// Unrecorded ones (a crash between CreateMultipartUpload and its record), where the store can list them:
// once initiated longer ago than that, unless a push session names them.
import type { Services } from '../services'
import { lifecycleOf } from './settings'
import { forgetMultipart } from './multipart-records'
import { lookUpOwners } from './owners'
import { KEY_PREFIX } from '../registry/staging'
import { BATCH, yieldToEventLoop } from '../registry/bulk-sql'

export async function expireMultipartUploads(services: Services, opts: { now?: Date } = {}): Promise<number> {
  const now = opts.now ?? new Date()
  const cutoff = new Date(now.getTime() - lifecycleOf(services).multipartExpirySeconds * 1000)
  return (await abortRecorded(services, cutoff)) + (await abortUnrecorded(services, cutoff))
}

async function abortRecorded(services: Services, cutoff: Date): Promise<number> {
  const { db } = services
  let aborted = 0
  let after = ''
  for (;;) {
    const rows = await db.multipartUpload.findMany({ where: { uploadId: { gt: after } }, orderBy: { uploadId: 'asc' }, take: BATCH })
    if (!rows.length) return aborted
    after = rows[rows.length - 1].uploadId

    const ownerOf = await lookUpOwners(db, rows.map((r) => r.ownerId))
    for (const r of rows) {
      const owner = ownerOf(r.ownerId)
      const abandoned =
        owner.kind === 'upload'
          ? owner.state !== 'receiving'
          : owner.kind === 'session'
            ? !owner.live || (owner.multipartId !== r.uploadId && r.createdAt < cutoff)
            : r.createdAt < cutoff // unknown owner
      if (!abandoned) continue
      const outcome = await abort(services, r.objectKey, r.uploadId)
      if (outcome) await forgetMultipart(db, r.uploadId) // a failed abort keeps the record: next run
      if (outcome === 'aborted') aborted++
    }
    await yieldToEventLoop()
  }
}

async function abortUnrecorded(services: Services, cutoff: Date): Promise<number> {
  const { store, db } = services
  if (!store.listMultipartUploads) return 0
  let aborted = 0
  let old: { key: string; uploadId: string }[] = []
  const flush = async () => {
    const ids = old.map((u) => u.uploadId)
    const known = new Set([
      ...(await db.multipartUpload.findMany({ where: { uploadId: { in: ids } }, select: { uploadId: true } })).map((r) => r.uploadId),
      ...(await db.blobUploadSession.findMany({ where: { multipartId: { in: ids } }, select: { multipartId: true } })).map((s) => s.multipartId!),
    ])
    for (const u of old) if (!known.has(u.uploadId) && (await abort(services, u.key, u.uploadId)) === 'aborted') aborted++
    old = []
    await yieldToEventLoop()
  }
  for await (const u of store.listMultipartUploads(KEY_PREFIX)) {
    // no start time: its age is unknown, so it is not ours to judge
    if (!u.initiated || u.initiated >= cutoff) continue
    old.push(u)
    if (old.length >= BATCH) await flush()
  }
  if (old.length) await flush()
  return aborted
}

/** Aborts one upload: 'aborted', 'gone' (completed or aborted before: NoSuchUpload), or false (failed; try later). */
async function abort(services: Services, key: string, uploadId: string): Promise<'aborted' | 'gone' | false> {
  try {
    await services.store.abortMultipart(key, uploadId)
    return 'aborted'
  } catch (e) {
    const err = e as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } }
    return err?.name === 'NoSuchUpload' || err?.Code === 'NoSuchUpload' || err?.$metadata?.httpStatusCode === 404 ? 'gone' : false
  }
}
