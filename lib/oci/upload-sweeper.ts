// Collects upload sessions nobody finished: a client that gave up, or a server that stopped mid-push.
// Sessions idle longer than the expiry are cancelled (their objects deleted); objects staged by a session
// that no longer exists (a crash between deleting the row and the objects) are deleted too.
import type { Services } from '../services'
import { discardStaged } from '../registry/staging'
import { cancelSession, STAGING_OWNER_PREFIX as OWNER_PREFIX } from './upload-session'

/** How long an upload may sit idle before it is collected (the reference registry uses a week; a day is plenty). */
export const UPLOAD_EXPIRY_MS = 24 * 60 * 60 * 1000

export async function sweepUploadSessions(services: Services, opts: { expiryMs?: number; now?: Date } = {}): Promise<number> {
  const now = opts.now ?? new Date()
  const cutoff = new Date(now.getTime() - (opts.expiryMs ?? UPLOAD_EXPIRY_MS))
  const expired = await services.db.blobUploadSession.findMany({
    where: { updatedAt: { lt: cutoff }, OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }] },
    select: { id: true, objectKey: true, multipartId: true },
  })
  for (const s of expired) await cancelSession(services, s)

  const staged = await services.db.stagedObject.findMany({
    where: { ownerId: { startsWith: OWNER_PREFIX }, createdAt: { lt: cutoff } },
    select: { objectKey: true, ownerId: true },
  })
  const owners = [...new Set(staged.map((s) => s.ownerId.slice(OWNER_PREFIX.length)))]
  const alive = new Set(
    (await services.db.blobUploadSession.findMany({ where: { id: { in: owners } }, select: { id: true } })).map((s) => s.id),
  )
  const orphans = staged.filter((s) => !alive.has(s.ownerId.slice(OWNER_PREFIX.length))).map((s) => s.objectKey)
  await discardStaged(services, orphans)
  return expired.length + orphans.length
}

const lastSweep = new WeakMap<object, number>()
const SWEEP_EVERY_MS = 10 * 60 * 1000

/** Sweeps at most every few minutes per running instance; called when a new upload starts. */
export async function sweepUploadSessionsOccasionally(services: Services) {
  const last = lastSweep.get(services.db) ?? 0
  if (Date.now() - last < SWEEP_EVERY_MS) return
  lastSweep.set(services.db, Date.now())
  await sweepUploadSessions(services).catch((e) => console.error('upload session sweep failed:', (e as Error).message))
}
