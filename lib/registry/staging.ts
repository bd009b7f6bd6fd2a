// Objects written before their upload commits are "staged": a row in StagedObject says who owns them.
// Committing adopts them (the row goes, the Blob row points at the key); failing deletes them; after a
// crash, the sweeper deletes the objects of uploads that can no longer finish.
import { randomUUID } from 'node:crypto'
import type { Services } from '../services'

/** Object keys are random: the database maps content digests to them, so committing needs no copy. */
const KEY_PREFIX = 'blobs/'
export const newObjectKey = () => `${KEY_PREFIX}${randomUUID()}`

export async function registerStaged(services: Services, ownerId: string): Promise<string> {
  const key = newObjectKey()
  await services.db.stagedObject.create({ data: { objectKey: key, ownerId } })
  return key
}

/** Deletes staged objects (bucket first, then the rows, so a crash in between leaves them sweepable). */
export async function discardStaged(services: Services, keys: string[]) {
  if (!keys.length) return
  await services.store.delete(keys)
  await services.db.stagedObject.deleteMany({ where: { objectKey: { in: keys } } })
}

export async function discardAllStagedOf(services: Services, ownerId: string) {
  const rows = await services.db.stagedObject.findMany({ where: { ownerId }, select: { objectKey: true } })
  await discardStaged(
    services,
    rows.map((r) => r.objectKey),
  )
}

/**
 * After a restart no archive upload from before can still be receiving: mark those failed and delete
 * their staged objects. Returns how many objects were collected.
 */
export async function collectInterruptedUploads(services: Services): Promise<number> {
  const stale = await services.db.upload.findMany({ where: { state: 'receiving' }, select: { id: true } })
  let collected = 0
  for (const { id } of stale) {
    const rows = await services.db.stagedObject.findMany({ where: { ownerId: id }, select: { objectKey: true } })
    await discardStaged(
      services,
      rows.map((r) => r.objectKey),
    )
    collected += rows.length
    await services.db.upload.update({
      where: { id },
      data: { state: 'failed', errorCode: 'INTERRUPTED', errorMessage: 'the server stopped while this upload was in progress', finishedAt: new Date() },
    })
  }
  return collected
}

/**
 * Staged objects of archive uploads that are over (failed or committed) but whose objects are still
 * there: deleting them failed at the time (the object store was down). Safe at any time: a finished
 * upload never needs its staged objects again. Returns how many were collected.
 */
export async function collectStagedOfFinishedUploads(services: Services): Promise<number> {
  const rows = await services.db.stagedObject.findMany({ select: { objectKey: true, ownerId: true } })
  const owners = [...new Set(rows.map((r) => r.ownerId))]
  const finished = new Set<string>()
  for (let i = 0; i < owners.length; i += 500) {
    const batch = await services.db.upload.findMany({ where: { id: { in: owners.slice(i, i + 500) }, state: { not: 'receiving' } }, select: { id: true } })
    for (const u of batch) finished.add(u.id)
  }
  const keys = rows.filter((r) => finished.has(r.ownerId)).map((r) => r.objectKey)
  await discardStaged(services, keys)
  return keys.length
}

/**
 * Aborts multipart uploads of staged keys that nothing can finish any more: the layer a crashed server
 * was writing, or a write whose abort failed while the store was down. Kept: the multipart upload of
 * every registry push session (they survive restarts) and, while the server runs (`atStart` false),
 * every write in progress: its key is staged by a receiving upload (the row is created before the write
 * starts) or is a push session's object. At start nothing is being written, so everything else goes.
 * Returns how many were aborted, or null when the store cannot list multipart uploads.
 */
export async function abortLeftoverMultipart(services: Services, opts: { atStart: boolean }): Promise<number | null> {
  const { store, db } = services
  if (!store.listMultipartUploads) return null
  const sessions = await db.blobUploadSession.findMany({ select: { objectKey: true, multipartId: true } })
  const sessionUploads = new Set(sessions.map((s) => s.multipartId).filter(Boolean))
  const sessionKeys = new Set(sessions.map((s) => s.objectKey))
  let aborted = 0
  for await (const u of store.listMultipartUploads(KEY_PREFIX)) {
    if (sessionUploads.has(u.uploadId)) continue
    if (!opts.atStart) {
      if (sessionKeys.has(u.key)) continue // a push session between starting its upload and recording the id
      const staged = await db.stagedObject.findUnique({ where: { objectKey: u.key }, select: { ownerId: true } })
      if (staged && (await db.upload.findFirst({ where: { id: staged.ownerId, state: 'receiving' }, select: { id: true } }))) continue
    }
    // one that completed meanwhile answers NoSuchUpload: nothing to do
    if (await store.abortMultipart(u.key, u.uploadId).then(() => true, () => false)) aborted++
  }
  return aborted
}
