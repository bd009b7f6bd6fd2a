// Collects registry upload sessions nobody finished: a client that gave up, or a server that stopped
// mid-push. A session idle longer than STOWAGE_UPLOAD_SESSION_EXPIRY_SECONDS (and not being written to:
// its write lease ran out) is cancelled: its row claimed first (a conditional delete that wins only if the
// session is still expired and unchanged since it was listed: a PATCH or PUT that touched it meanwhile
// keeps it), then its multipart upload aborted and its objects deleted. Their staged rows stay for one
// more STOWAGE_STAGED_EXPIRY_SECONDS: a request whose lease ran out may still be writing a chunk.
// Objects of sessions that vanished otherwise are expiry's (lib/lifecycle/expire-staged.ts).
// Run only by expiry (lib/lifecycle/expire.ts: at start, after leases and every
// STOWAGE_EXPIRY_INTERVAL_SECONDS, once across instances), never on a push's request path.
import type { Services } from '../services'
import { lifecycleOf } from '../lifecycle/settings'
import { BATCH, yieldToEventLoop } from '../registry/bulk-sql'
import { cancelSession } from './upload-session'

/** Cancels the expired sessions; returns how many. */
export async function sweepUploadSessions(services: Services, opts: { now?: Date } = {}): Promise<number> {
  return (await cancelExpiredSessions(services, opts)).sessions
}

/** Cancels the expired sessions; how many, and the bytes they had received (their parts and tail objects). */
export async function cancelExpiredSessions(services: Services, opts: { now?: Date } = {}): Promise<{ sessions: number; bytes: number }> {
  const now = opts.now ?? new Date()
  const cutoff = new Date(now.getTime() - lifecycleOf(services).uploadSessionExpirySeconds * 1000)
  const expired = { updatedAt: { lt: cutoff }, OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }] }
  const cancelled = { sessions: 0, bytes: 0 }
  let after = ''
  for (;;) {
    const batch = await services.db.blobUploadSession.findMany({
      where: { id: { gt: after }, ...expired },
      orderBy: { id: 'asc' },
      take: BATCH,
      select: { id: true, objectKey: true, multipartId: true, receivedBytes: true, tailKey: true },
    })
    if (!batch.length) return cancelled
    after = batch[batch.length - 1].id
    for (const s of batch) {
      const unchanged = { receivedBytes: s.receivedBytes, tailKey: s.tailKey, multipartId: s.multipartId }
      if (!(await cancelSession(services, s, { onlyIf: { ...expired, ...unchanged }, keepRows: true }))) continue
      cancelled.sessions++
      cancelled.bytes += Number(s.receivedBytes)
    }
    await yieldToEventLoop()
  }
}
