// Blob upload sessions in the database: create, load, the write lease, cancel. A session's objects in the
// bucket (the multipart target and its tail objects) are staged objects owned by the session, so a
// cancelled, expired or crashed session leaves nothing behind.
import { randomUUID } from 'node:crypto'
import type { Services } from '../services'
import type { Prisma } from '../db/generated/sqlite/client'
import { discardAllStagedOf, newObjectKey } from '../registry/staging'
import { OciError } from './errors'
import { forgetMultipart } from '../lifecycle/multipart-records'
import { pushSessionOwner } from '../lifecycle/push-session-owner'
import { forgetRunningDigest } from './upload-digests'

export type UploadPart = { number: number; etag: string; size: number }

export type UploadSession = {
  id: string
  repository: string
  receivedBytes: number
  objectKey: string
  multipartId: string | null
  tailKey: string | null
  tailSize: number
  parts: UploadPart[]
}

/** A PATCH or PUT holds the session this long after its last progress; a crashed one frees it then. */
export const LEASE_MS = 10 * 60 * 1000

// the session's staged objects and its multipart record share one owner id (lib/lifecycle/push-session-owner.ts)
export const stagingOwnerOf = pushSessionOwner
const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export const leaseUntil = () => new Date(Date.now() + LEASE_MS)

export async function createSession(services: Services, repository: string, opts: { locked?: boolean } = {}): Promise<UploadSession> {
  const id = randomUUID()
  const objectKey = newObjectKey()
  await services.db.$transaction([
    services.db.blobUploadSession.create({ data: { id, repository, objectKey, lockedUntil: opts.locked ? leaseUntil() : null } }),
    services.db.stagedObject.create({ data: { objectKey, ownerId: stagingOwnerOf(id) } }),
  ])
  return { id, repository, receivedBytes: 0, objectKey, multipartId: null, tailKey: null, tailSize: 0, parts: [] }
}

const unknownUpload = (id: string) => new OciError('BLOB_UPLOAD_UNKNOWN', `upload ${id.slice(0, 40)} does not exist (finished, cancelled or expired)`, { detail: { uuid: id } })

export async function loadSession(services: Services, repository: string, id: string): Promise<UploadSession> {
  if (!SESSION_ID.test(id)) throw unknownUpload(id)
  const row = await services.db.blobUploadSession.findUnique({ where: { id }, include: { parts: { orderBy: { number: 'asc' } } } })
  if (!row || row.repository !== repository) throw unknownUpload(id)
  return {
    id: row.id,
    repository: row.repository,
    receivedBytes: Number(row.receivedBytes),
    objectKey: row.objectKey,
    multipartId: row.multipartId,
    tailKey: row.tailKey,
    tailSize: Number(row.tailSize),
    parts: row.parts.map((p) => ({ number: p.number, etag: p.etag, size: Number(p.size) })),
  }
}

/** Takes the session's write lease: chunks of one upload are written one request at a time. */
export async function acquireSession(services: Services, repository: string, id: string): Promise<UploadSession> {
  const session = await loadSession(services, repository, id)
  const now = new Date()
  const { count } = await services.db.blobUploadSession.updateMany({
    where: { id, OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }] },
    data: { lockedUntil: leaseUntil() },
  })
  if (count !== 1) {
    throw new OciError('BLOB_UPLOAD_INVALID', 'another request is writing to this upload; wait for it to finish', { status: 409, detail: { uuid: id } })
  }
  return loadSession(services, repository, id) // the state the lease now protects
}

export async function releaseSession(services: Services, id: string) {
  await services.db.blobUploadSession.updateMany({ where: { id }, data: { lockedUntil: null } })
}

export type CancelOptions = {
  /** the session is ended only if its row still matches this (the sweeper's claim); otherwise nothing happens */
  onlyIf?: Prisma.BlobUploadSessionWhereInput
  /**
   * A request may still be writing to the session (its lease ran out, it is not ours): the staged rows stay,
   * their age restarted, so that expiry deletes the keys once more after STOWAGE_STAGED_EXPIRY_SECONDS
   * and a write landing after our delete does not leave an object no row names.
   */
  keepRows?: boolean
}

/**
 * Ends a session and deletes everything it stored. The row goes first, in one conditional delete: whoever
 * deletes it (this cancel, or the PUT that commits the blob) owns what the session stored, so a sweep never
 * deletes the objects of a session a request is finishing. Returns false when `onlyIf` did not match.
 */
export async function cancelSession(services: Services, session: Pick<UploadSession, 'id' | 'objectKey' | 'multipartId'>, opts: CancelOptions = {}): Promise<boolean> {
  const { db } = services
  // read before the row goes (the parts go with it): completing the upload is the fallback to aborting it
  const parts = session.multipartId ? await db.blobUploadPart.findMany({ where: { sessionId: session.id }, orderBy: { number: 'asc' } }) : []
  const { count } = await db.blobUploadSession.deleteMany({ where: { ...opts.onlyIf, id: session.id } })
  if (opts.onlyIf && count !== 1) return false
  forgetRunningDigest(services, session.id)
  const owner = stagingOwnerOf(session.id)
  if (opts.keepRows) await db.stagedObject.updateMany({ where: { ownerId: owner }, data: { createdAt: new Date() } })
  if (session.multipartId) await discardMultipart(services, session.objectKey, session.multipartId, parts)
  await discardAllStagedOf(services, owner, { keepRows: opts.keepRows }) // includes objectKey, if it was assembled
  return true
}

async function discardMultipart(services: Services, key: string, multipartId: string, parts: { number: number; etag: string }[]) {
  try {
    await services.store.abortMultipart(key, multipartId)
    await forgetMultipart(services.db, multipartId)
    return
  } catch {
    // A store without AbortMultipartUpload (stock s3rver answers 405): completing the upload frees its
    // parts just as well (the object it makes is staged and deleted with the session). Otherwise the
    // record stays and expiry tries again (lib/lifecycle/expire-multipart.ts).
  }
  if (!parts.length) return
  const completed = await services.store.completeMultipart(key, multipartId, parts.map((p) => ({ partNumber: p.number, etag: p.etag }))).then(() => true, () => false)
  if (completed) await forgetMultipart(services.db, multipartId)
}
