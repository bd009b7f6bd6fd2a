// Expiry of abandoned work: archive uploads whose instance died, registry upload sessions idle too long,
// staged objects nobody can adopt, multipart uploads nothing can complete. Run at start (lib/boot.ts)
// and by the expiry.run job every STOWAGE_EXPIRY_INTERVAL_SECONDS. Nothing here assumes it is alone:
// every decision is by ownership (leases, rows) and age, so a run at one instance's start cannot take
// another instance's work in progress. One run at a time across instances (a database lease); a second
// one finds it held and returns at once (the running one does the work).
import type { Services } from '../services'
import { withLease } from '../db/leases'
import { collectInterruptedUploads } from '../registry/staging'
import { cancelExpiredSessions } from '../oci/upload-sweeper'
import { expireStagedObjects } from './expire-staged'
import { expireMultipartUploads } from './expire-multipart'

export type ExpiryResult = {
  /** archive uploads whose receiving instance died (lease ran out), now failed */
  uploads: number
  /** registry upload sessions idle too long, cancelled */
  uploadSessions: number
  /** the bytes those sessions had received (the only sizes known: staged objects and parts carry none) */
  uploadSessionBytes: number
  stagedObjects: number
  multipartUploads: number
}

const EXPIRY_LEASE_MS = 60_000

export async function runExpiry(services: Services): Promise<ExpiryResult> {
  const ran = await withLease(services.db, 'expiry', EXPIRY_LEASE_MS, async () => {
    const now = new Date()
    // order matters: failing an interrupted upload first makes its staged objects and multipart
    // uploads "owned by a finished upload", which the later steps take
    const interrupted = await collectInterruptedUploads(services, { now })
    const sessions = await cancelExpiredSessions(services, { now })
    const stagedObjects = interrupted.objects + (await expireStagedObjects(services, { now }))
    const multipartUploads = await expireMultipartUploads(services, { now })
    return { uploads: interrupted.uploads, uploadSessions: sessions.sessions, uploadSessionBytes: sessions.bytes, stagedObjects, multipartUploads }
  })
  return ran?.value ?? { uploads: 0, uploadSessions: 0, uploadSessionBytes: 0, stagedObjects: 0, multipartUploads: 0 }
}

/** One line for the log, or null when nothing was collected. */
export function describeExpiry(r: ExpiryResult): string | null {
  const parts = [
    r.uploads && `${r.uploads} interrupted uploads`,
    r.uploadSessions && `${r.uploadSessions} expired registry upload sessions`,
    r.stagedObjects && `${r.stagedObjects} staged objects`,
    r.multipartUploads && `${r.multipartUploads} unfinished multipart uploads`,
  ].filter(Boolean)
  return parts.length ? `expiry collected ${parts.join(', ')}` : null
}

/** The fields of the expiry job's one structured log line (lib/jobs/handlers.ts). */
export function expiryLogFields(r: ExpiryResult, ms: number) {
  return { job: 'expiry.run', ...r, ms: Math.round(ms) }
}
