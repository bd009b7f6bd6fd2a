// The resumable uploads this process holds, per Services (tests run several servers in one process).
// An upload this process does not hold is read back from the database (ResumableUpload): after a
// restart it continues from its last checkpoint (at a tar entry boundary, or inside a layer). A
// finished session is kept a while so a client whose last answer got lost can still read its outcome.
import type { Services } from '../services'
import { ImportError, type ImportErrorCode } from '../archive/import-error'
import { ResumableSession, SuspendReason } from './resumable-session'
import { deserializeCheckpoint } from './checkpoint'
import { abortStoredParts } from './layer-parts'
import { discardAllStagedOf } from '../registry/staging'
import { ApiError } from '../http/respond'

export type ResumableSettings = {
  /** cancel an upload no PATCH has fed for this long (STOWAGE_RESUMABLE_IDLE_SECONDS, 0 = never) */
  idleMs: number
  /** how long a finished upload's outcome stays in memory (afterwards it is read from the database) */
  keepFinishedMs: number
  /**
   * The instance receiving an upload marks it held (ResumableUpload.updatedAt) at least every third of
   * this; another instance takes an upload over only once the mark is older (after a crash), else 423.
   */
  heldMs: number
}

export function resumableSettingsFromEnv(env: Record<string, string | undefined> = process.env): ResumableSettings {
  const raw = env.STOWAGE_RESUMABLE_IDLE_SECONDS
  const seconds = raw === undefined || raw === '' ? 3600 : Number(raw)
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 30 * 24 * 3600) {
    throw new Error(`STOWAGE_RESUMABLE_IDLE_SECONDS must be a whole number of seconds from 0 to ${30 * 24 * 3600}, not "${raw}"`)
  }
  return { idleMs: seconds * 1000, keepFinishedMs: 600_000, heldMs: 30_000 }
}

/**
 * How long the Upload row of a resumable upload stays leased: through the idle time, so after a crash its
 * staged layers wait that long for the client to come back (to this or another instance).
 */
export const resumableLeaseMs = (settings: ResumableSettings) => settings.idleMs || 24 * 3600_000

export class SessionRegistry {
  private readonly sessions = new Map<string, ResumableSession>()
  private readonly reading = new Map<string, Promise<ResumableSession | null>>()
  private heartbeat: NodeJS.Timeout | null = null
  constructor(
    private readonly services: Services,
    readonly settings: ResumableSettings,
  ) {}

  add(session: ResumableSession) {
    this.sessions.set(session.id, session)
    this.beat()
    void session.settled.then(() => {
      setTimeout(() => {
        if (this.sessions.get(session.id) === session) this.sessions.delete(session.id)
      }, this.settings.keepFinishedMs).unref()
    })
  }

  /** The session, from memory or read back from the database (once, however many requests ask at the same time). */
  async find(id: string): Promise<ResumableSession | null> {
    const held = this.sessions.get(id)
    if (held) return held
    let reading = this.reading.get(id)
    if (!reading) {
      reading = this.readBack(id).finally(() => this.reading.delete(id))
      this.reading.set(id, reading)
    }
    return reading
  }

  /** Cancels an upload: a running import discards what it staged; one read back from the database is cleaned up here. */
  async cancel(session: ResumableSession, reason: ImportError) {
    if (session.begun) return session.cancel(reason)
    if (session.state !== 'receiving') return
    const { db } = this.services
    const { count } = await db.upload.updateMany({
      where: { id: session.id, state: 'receiving' },
      data: { state: 'failed', errorCode: reason.code, errorMessage: reason.message, finishedAt: new Date() },
    })
    if (count) {
      await discardAllStagedOf(this.services, session.id).catch(() => {}) // the sweeper retries whatever remains
      // the layer it stopped inside of: its parts (expiry would abort them too, by their record)
      const layer = session.resumePoint?.layer
      if (layer) await abortStoredParts(this.services, layer.key, layer.uploadId).catch(() => {})
    }
    session.finish({ error: reason })
  }

  /** Server shutdown: imports stop where they are, their staged layers and checkpoints kept (and released) for a successor. */
  async suspendAll() {
    const live = this.held()
    await Promise.all(live.map((s) => s.cancel(new SuspendReason())))
    for (const s of live) this.sessions.delete(s.id)
    if (live.length) await this.services.db.resumableUpload.updateMany({ where: { id: { in: live.map((s) => s.id) } }, data: { updatedAt: new Date(0) } })
  }

  private held() {
    return [...this.sessions.values()].filter((s) => s.begun && (s.state === 'receiving' || s.state === 'importing'))
  }

  /** Marks the uploads this instance receives as held, while it has any. */
  private beat() {
    if (this.heartbeat) return
    this.heartbeat = setInterval(
      () => {
        const ids = this.held().map((s) => s.id)
        if (!ids.length) {
          clearInterval(this.heartbeat!)
          this.heartbeat = null
          return
        }
        this.services.db.resumableUpload.updateMany({ where: { id: { in: ids } }, data: { updatedAt: new Date() } }).catch(() => {}) // next tick retries
      },
      Math.max(50, Math.floor(this.settings.heldMs / 3)),
    )
    this.heartbeat.unref()
  }

  private async readBack(id: string): Promise<ResumableSession | null> {
    const { db } = this.services
    const row = await db.resumableUpload.findUnique({ where: { id } })
    if (!row) return null
    const upload = await db.upload.findUnique({ where: { id } })
    const receiving = !upload || upload.state === 'receiving'
    if (receiving && row.updatedAt.getTime() > Date.now() - this.settings.heldMs) {
      throw new ApiError(423, 'UPLOAD_HELD', 'another server instance is receiving this upload (or stopped less than a minute ago); try again in a few seconds')
    }
    // a checkpoint at the very end (a tar without end blocks) would leave nothing to PATCH: start over
    const saved = receiving && row.checkpoint ? Number(row.checkpointOffset) : 0
    const offset = saved < Number(row.length) ? saved : 0
    const session = new ResumableSession(id, Number(row.length), row.ownerId, JSON.parse(row.metadata), this.settings.idleMs, offset)
    session.resumePoint = offset > 0 ? { offset, ...deserializeCheckpoint(row.checkpoint!) } : { offset, reader: { entries: new Map(), count: 0, memory: 0 } }
    if (upload?.state === 'committed') session.finish({ result: JSON.parse(upload.result ?? 'null') })
    else if (upload?.state === 'failed') {
      session.finish({ error: new ImportError((upload.errorCode ?? 'UPLOAD_INTERRUPTED') as ImportErrorCode, upload.errorMessage ?? 'the upload failed', 422) })
    }
    // a concurrent request may have created it meanwhile
    const held = this.sessions.get(id)
    if (held) return held
    this.add(session)
    return session
  }
}

const registries = new WeakMap<Services, SessionRegistry>()

export function sessionRegistry(services: Services): SessionRegistry {
  let r = registries.get(services)
  if (!r) registries.set(services, (r = new SessionRegistry(services, resumableSettingsFromEnv())))
  return r
}
