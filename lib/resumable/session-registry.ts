// The resumable uploads this process holds, per Services (tests run several servers in one process).
// A finished session is kept a while so a client whose last answer got lost can still read its outcome.
import type { Services } from '../services'
import { ImportError } from '../archive/import-error'
import { ResumableSession } from './resumable-session'

export type ResumableSettings = {
  /** cancel an upload no PATCH has fed for this long (STOWAGE_RESUMABLE_IDLE_SECONDS, 0 = never) */
  idleMs: number
  /** how long a finished upload's outcome stays readable */
  keepFinishedMs: number
}

export function resumableSettingsFromEnv(env: Record<string, string | undefined> = process.env): ResumableSettings {
  const raw = env.STOWAGE_RESUMABLE_IDLE_SECONDS
  const seconds = raw === undefined || raw === '' ? 3600 : Number(raw)
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 30 * 24 * 3600) {
    throw new Error(`STOWAGE_RESUMABLE_IDLE_SECONDS must be a whole number of seconds from 0 to ${30 * 24 * 3600}, not "${raw}"`)
  }
  return { idleMs: seconds * 1000, keepFinishedMs: 3600_000 }
}

export class SessionRegistry {
  private readonly sessions = new Map<string, ResumableSession>()
  constructor(readonly settings: ResumableSettings) {}

  add(session: ResumableSession) {
    this.sessions.set(session.id, session)
    void session.settled.then(() => {
      setTimeout(() => this.sessions.delete(session.id), this.settings.keepFinishedMs).unref()
    })
  }

  get(id: string) {
    return this.sessions.get(id)
  }

  /** Live sessions (receiving or importing). */
  live() {
    return [...this.sessions.values()].filter((s) => s.state === 'receiving' || s.state === 'importing')
  }

  /** Shutdown: every upload still receiving is cancelled (its staged objects discarded). */
  async closeAll() {
    await Promise.all(this.live().map((s) => s.cancel(new ImportError('UPLOAD_INTERRUPTED', 'the server stopped while this upload was arriving; nothing was imported', 503))))
  }
}

const registries = new WeakMap<Services, SessionRegistry>()

export function sessionRegistry(services: Services): SessionRegistry {
  let r = registries.get(services)
  if (!r) registries.set(services, (r = new SessionRegistry(resumableSettingsFromEnv())))
  return r
}
