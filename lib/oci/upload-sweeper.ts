// Collects registry upload sessions nobody finished: a client that gave up, or a server that stopped
// mid-push. A session idle longer than STOWAGE_UPLOAD_SESSION_EXPIRY_SECONDS (and not being written to:
// its write lease ran out) is cancelled: its multipart upload aborted, its objects deleted, its row gone.
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
      select: { id: true, objectKey: true, multipartId: true, receivedBytes: true },
    })
    if (!batch.length) return cancelled
    after = batch[batch.length - 1].id
    for (const s of batch) {
      await cancelSession(services, s)
      cancelled.sessions++
      cancelled.bytes += Number(s.receivedBytes)
    }
    await yieldToEventLoop()
  }
}
