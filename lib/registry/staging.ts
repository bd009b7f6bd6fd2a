// Objects written before their upload commits are "staged": a row in StagedObject says who owns them.
// Committing adopts them (the row goes, the Blob row points at the key); failing deletes them; after a
// crash, expiry (lib/lifecycle/expire.ts) deletes the objects of uploads that can no longer finish.
import { randomUUID } from 'node:crypto'
import type { Services } from '../services'
import { leaseExpired } from '../lifecycle/upload-lease'
import { BATCH, yieldToEventLoop } from './bulk-sql'

/** Object keys are random: the database maps content digests to them, so committing needs no copy. */
export const KEY_PREFIX = 'blobs/'
export const newObjectKey = () => `${KEY_PREFIX}${randomUUID()}`

export async function registerStaged(services: Services, ownerId: string): Promise<string> {
  const key = newObjectKey()
  await services.db.stagedObject.create({ data: { objectKey: key, ownerId } })
  return key
}

/**
 * Deletes staged objects (bucket first, then the rows, so a crash in between leaves them sweepable).
 * `keepRows`: after the store failed (a timeout), a write Stowage gave up on may still land later; the
 * rows stay so that the next expiry run deletes the keys again, instead of leaving an object no row names.
 */
export async function discardStaged(services: Services, keys: string[], opts: { keepRows?: boolean } = {}) {
  if (!keys.length) return
  await services.store.delete(keys)
  if (!opts.keepRows) await services.db.stagedObject.deleteMany({ where: { objectKey: { in: keys } } })
}

/** Deletes every staged object of `ownerId`; returns how many there were. */
export async function discardAllStagedOf(services: Services, ownerId: string, opts: { keepRows?: boolean } = {}): Promise<number> {
  const rows = await services.db.stagedObject.findMany({ where: { ownerId }, select: { objectKey: true } })
  await discardStaged(
    services,
    rows.map((r) => r.objectKey),
    opts,
  )
  return rows.length
}

/**
 * Archive uploads whose receiver died (a crash, a killed instance): still "receiving" but their lease
 * ran out (lib/lifecycle/upload-lease.ts; no lease = from before leases). Each is failed by one
 * conditional write first (a renewal or commit racing with it either wins, and the upload is kept, or
 * loses and learns the upload is gone), then its staged objects are deleted. Another instance's live
 * upload is never touched, so this is safe at start and at any time. Batched; no transaction spans an
 * object-store call.
 */
export async function collectInterruptedUploads(services: Services, opts: { now?: Date } = {}): Promise<{ uploads: number; objects: number }> {
  const now = opts.now ?? new Date()
  let uploads = 0
  let objects = 0
  let after = ''
  for (;;) {
    const batch = await services.db.upload.findMany({
      where: { id: { gt: after }, ...leaseExpired(now) },
      orderBy: { id: 'asc' },
      take: BATCH,
      select: { id: true },
    })
    if (!batch.length) break
    after = batch[batch.length - 1].id
    for (const { id } of batch) {
      const failed = await services.db.upload.updateMany({
        where: { id, ...leaseExpired(now) },
        data: { state: 'failed', errorCode: 'INTERRUPTED', errorMessage: 'the server receiving this upload stopped before it was complete', finishedAt: new Date() },
      })
      if (failed.count !== 1) continue // renewed or finished meanwhile
      uploads++
      objects += await discardAllStagedOf(services, id)
    }
    await yieldToEventLoop()
  }
  return { uploads, objects }
}
