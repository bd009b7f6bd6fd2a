// Staged objects whose owner can no longer adopt them. By owner:
//  - an archive upload that is over (committed or failed): nothing will ever need them; collected at once
//    (their deletion failed at the time, e.g. the store was down). A receiving upload's are kept: if its
//    lease ran out, collectInterruptedUploads fails it first and takes them then.
//  - a registry push session ("blob-upload:<id>") that no longer exists (a crash between deleting its
//    row and its objects), once older than STOWAGE_STAGED_EXPIRY_SECONDS;
//  - an owner nobody knows (no upload, no session: a writer of another version), once older than that.
// Batched by key; each batch is a few queries, then one bucket delete; never inside a transaction.
import type { Services } from '../services'
import { lifecycleOf } from './settings'
import { discardStaged } from '../registry/staging'
import { BATCH, yieldToEventLoop } from '../registry/bulk-sql'
import { pushSessionOf } from './push-session-owner'

export async function expireStagedObjects(services: Services, opts: { now?: Date } = {}): Promise<number> {
  const { db } = services
  const now = opts.now ?? new Date()
  const cutoff = new Date(now.getTime() - lifecycleOf(services).stagedExpirySeconds * 1000)
  let collected = 0
  let after = ''
  for (;;) {
    const rows = await db.stagedObject.findMany({ where: { objectKey: { gt: after } }, orderBy: { objectKey: 'asc' }, take: BATCH })
    if (!rows.length) return collected
    after = rows[rows.length - 1].objectKey

    const sessionIds = [...new Set(rows.flatMap((r) => pushSessionOf(r.ownerId) ?? []))]
    const liveSessions = new Set((await db.blobUploadSession.findMany({ where: { id: { in: sessionIds } }, select: { id: true } })).map((s) => s.id))
    const uploadIds = [...new Set(rows.filter((r) => pushSessionOf(r.ownerId) === null).map((r) => r.ownerId))]
    const uploads = new Map((await db.upload.findMany({ where: { id: { in: uploadIds } }, select: { id: true, state: true } })).map((u) => [u.id, u.state]))

    const gone = rows.filter((r) => {
      const sessionId = pushSessionOf(r.ownerId)
      if (sessionId !== null) return !liveSessions.has(sessionId) && r.createdAt < cutoff
      const state = uploads.get(r.ownerId)
      if (state === undefined) return r.createdAt < cutoff // unknown owner
      return state !== 'receiving'
    })
    await discardStaged(
      services,
      gone.map((r) => r.objectKey),
    )
    collected += gone.length
    await yieldToEventLoop()
  }
}
