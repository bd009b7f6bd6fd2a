// Who owns a staged object or a multipart record (by its ownerId), looked up for a batch of rows at once:
// a registry push session (push-session-owner.ts) that still exists or not, an archive upload and its
// state, or nobody Stowage knows (a writer of another version). The expiry rules decide by this.
import type { Services } from '../services'
import { pushSessionOf } from './push-session-owner'

export type Owner =
  | { kind: 'session'; live: true; multipartId: string | null }
  | { kind: 'session'; live: false }
  | { kind: 'upload'; state: string }
  | { kind: 'unknown' }

/** Two queries for the whole batch; the answer tells each owner id's owner. */
export async function lookUpOwners(db: Services['db'], ownerIds: string[]): Promise<(ownerId: string) => Owner> {
  const sessionIds = [...new Set(ownerIds.flatMap((o) => pushSessionOf(o) ?? []))]
  const uploadIds = [...new Set(ownerIds.filter((o) => pushSessionOf(o) === null))]
  const sessions = new Map(
    (await db.blobUploadSession.findMany({ where: { id: { in: sessionIds } }, select: { id: true, multipartId: true } })).map((s) => [s.id, s.multipartId]),
  )
  const uploads = new Map((await db.upload.findMany({ where: { id: { in: uploadIds } }, select: { id: true, state: true } })).map((u) => [u.id, u.state]))
  return (ownerId) => {
    const sessionId = pushSessionOf(ownerId)
    if (sessionId !== null) return sessions.has(sessionId) ? { kind: 'session', live: true, multipartId: sessions.get(sessionId)! } : { kind: 'session', live: false }
    const state = uploads.get(ownerId)
    return state === undefined ? { kind: 'unknown' } : { kind: 'upload', state }
  }
}
