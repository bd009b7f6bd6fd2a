// Objects written before their upload commits are "staged": a row in StagedObject says who owns them.
// Committing adopts them (the row goes, the Blob row points at the key); failing deletes them; after a
// crash, the sweeper deletes the objects of uploads that can no longer finish.
import { randomUUID } from 'node:crypto'
import type { Services } from '../services'

/** Object keys are random: the database maps content digests to them, so committing needs no copy. */
export const newObjectKey = () => `blobs/${randomUUID()}`

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
