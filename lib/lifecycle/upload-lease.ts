// The lease of an archive upload: the instance receiving it renews Upload.leaseUntil while it works, so
// any instance can tell a live upload (another instance's, or its own) from one whose receiver died.
// Only an upload whose lease ran out is collected, and collecting it is one conditional write that a
// renewal or a commit cannot interleave with: whoever writes first wins, the other sees it.
import type { Services } from '../services'
import { ImportError } from '../archive/import-error'
import { lifecycleOf } from './settings'

export const uploadLeaseMs = (services: Pick<Services, 'lifecycle'>) => lifecycleOf(services).uploadLeaseSeconds * 1000

export const leaseFrom = (services: Pick<Services, 'lifecycle'>, now = Date.now(), leaseMs = uploadLeaseMs(services)) => new Date(now + leaseMs)

/** Said to the client whose upload was collected while it still arrived (its instance lost the lease). */
export const leaseLostError = () =>
  new ImportError(
    'UPLOAD_INTERRUPTED',
    'the server lost track of this upload (it could not renew its lease in the database in time) and its staged layers were collected; nothing was imported, upload it again',
    503,
  )

/** Where-clause of "receiving, but nobody renews its lease": null = started before leases existed. */
export const leaseExpired = (now: Date) => ({ state: 'receiving', OR: [{ leaseUntil: null }, { leaseUntil: { lt: now } }] })

export type HeldUploadLease = {
  /** set once the lease was found taken (the upload was collected): the import must stop with it */
  readonly lost: ImportError | null
  stop(): void
}

/**
 * Renews the lease of `uploadId` every third of its length until stopped. A renewal that finds the upload
 * no longer receiving calls `onLost` once. A failed renewal (database unreachable) is retried at the next
 * tick; if the lease runs out meanwhile, the commit refuses (confirmUploadForCommit).
 */
export function holdUploadLease(
  services: Services,
  uploadId: string,
  onLost: (e: ImportError) => void,
  /** a resumable upload holds a longer lease: it must outlive its instance until a client resumes it elsewhere */
  leaseMs = uploadLeaseMs(services),
): HeldUploadLease {
  let lost: ImportError | null = null
  let stopped = false
  let renewing = false
  const timer = setInterval(
    async () => {
      if (renewing || stopped) return
      renewing = true
      try {
        const { count } = await services.db.upload.updateMany({ where: { id: uploadId, state: 'receiving' }, data: { leaseUntil: leaseFrom(services, Date.now(), leaseMs) } })
        if (count === 0 && !stopped) {
          lost = leaseLostError()
          stop()
          onLost(lost)
        }
      } catch {
        // try again at the next tick
      } finally {
        renewing = false
      }
    },
    Math.max(100, Math.floor(Math.min(leaseMs, uploadLeaseMs(services)) / 3)),
  )
  timer.unref()
  const stop = () => {
    stopped = true
    clearInterval(timer)
  }
  return {
    get lost() {
      return lost
    },
    stop,
  }
}

/**
 * Inside the commit's transaction, first: renews the lease on the condition that the upload is still
 * receiving. If a collector failed it meanwhile (its staged objects may be gone), the commit stops here
 * and nothing refers to a deleted object. On PostgreSQL the row stays locked until the commit ends, so a
 * collector waits for it and then finds a fresh lease.
 */
export async function confirmUploadForCommit(tx: Services['db'], services: Pick<Services, 'lifecycle'>, uploadId: string) {
  const { count } = await tx.upload.updateMany({ where: { id: uploadId, state: 'receiving' }, data: { leaseUntil: leaseFrom(services) } })
  if (count !== 1) throw leaseLostError()
}
