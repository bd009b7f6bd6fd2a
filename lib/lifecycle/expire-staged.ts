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
import { lookUpOwners } from './owners'

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

    const ownerOf = await lookUpOwners(db, rows.map((r) => r.ownerId))
    const gone = rows.filter((r) => {
      const owner = ownerOf(r.ownerId)
      if (owner.kind === 'upload') return owner.state !== 'receiving'
      if (owner.kind === 'session' && owner.live) return false
      return r.createdAt < cutoff // a vanished session's, or an unknown owner's
    })
    await discardStaged(
      services,
      gone.map((r) => r.objectKey),
    )
    collected += gone.length
    await yieldToEventLoop()
  }
}
