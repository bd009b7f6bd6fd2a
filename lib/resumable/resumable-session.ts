// One resumable upload while it lives in this process: a single import reads from `input`, and the
// PATCH requests of the tus protocol are written into it one after another. A request that dies only
// detaches (the import waits for more bytes, no error); the next request must start exactly where the
// import's input ends (`offset`). Every byte counted in `offset` was handed to the importer, so the
// server "has" it: the client never needs to send it again.
import { PassThrough, type Readable } from 'node:stream'
import type { IncomingMessage } from 'node:http'
import { ImportError, isImportError } from '../archive/import-error'
import type { ImportResult } from '../archive/import-archive'
import { ApiError } from '../http/respond'
import type { ResumePoint } from './checkpoint'

export type SessionState = 'receiving' | 'importing' | 'committed' | 'failed'

/** How one PATCH request's feeding ended. */
export type FeedEnd = 'ended' | 'cut' | 'too-long' | 'failed'

export type ImportRunner = (body: Readable, signal: AbortSignal) => Promise<ImportResult>

/** The reason given to an import stopped because this server stops: its staged objects stay for a successor. */
export class SuspendReason extends ImportError {
  constructor() {
    super('UPLOAD_INTERRUPTED', 'the server stopped while this upload was arriving; send the rest again from the offset HEAD gives', 503)
  }
}

/** Small enough that a cut connection strands little in memory, large enough to add no pause per read. */
const INPUT_HIGH_WATER_MARK = 1024 * 1024

export class ResumableSession {
  offset = 0
  state: SessionState = 'receiving'
  result: ImportResult | null = null
  error: ImportError | null = null
  /** settles (never rejects) when the import committed or failed */
  readonly settled: Promise<void>
  lastActivity = Date.now()
  private readonly input = new PassThrough({ highWaterMark: INPUT_HIGH_WATER_MARK })
  private readonly aborter = new AbortController()
  private feeding: { req: IncomingMessage; finish: (end: FeedEnd) => void } | null = null
  private idleTimer: NodeJS.Timeout | null = null
  private settle!: () => void
  private run: ImportRunner | null = null
  /** set when the session was read back from the database: where its import continues */
  resumePoint: ResumePoint | null = null

  constructor(
    readonly id: string,
    readonly length: number,
    readonly ownerId: number,
    readonly metadata: Record<string, string>,
    private readonly idleMs: number,
    /** where the import starts: 0, or a checkpoint's offset after a restart */
    readonly startOffset = 0,
  ) {
    this.offset = startOffset
    this.settled = new Promise<void>((resolve) => (this.settle = resolve))
    this.input.on('error', () => {}) // the importer destroys it when it rejects; that is reported through `settled`
    this.input.on('drain', () => this.feeding?.req.resume())
  }

  /** An import runs once begun: at creation, or (after a restart) at the first PATCH. */
  get begun() {
    return this.run !== null
  }

  begin(run: ImportRunner) {
    if (this.run) throw new Error('the import already began')
    this.run = run
    run(this.input, this.aborter.signal).then(
      (result) => this.finish({ result }),
      (e) => this.finish({ error: isImportError(e) ? e : new ImportError('STORAGE_FAILED', `the import failed on the server: ${String((e as Error)?.message ?? e)}`, 500) }),
    )
    this.armIdle()
  }

  /** Records the outcome (also of an upload that finished before a restart, read back from the database). */
  finish(outcome: { result: ImportResult } | { error: ImportError }) {
    if ('result' in outcome) {
      this.result = outcome.result
      this.state = 'committed'
      this.offset = this.length
    } else {
      this.error = outcome.error
      this.state = 'failed'
      this.feeding?.finish('failed')
    }
    this.disarmIdle()
    this.settle()
  }

  get feedingNow() {
    return this.feeding !== null
  }

  /** The request carries the bytes from `declaredOffset` on; resolves when it ended, died or was refused. */
  feed(req: IncomingMessage, declaredOffset: number): Promise<FeedEnd> {
    if (this.state === 'failed') throw this.error!
    // A client that reconnects may be faster than the server noticing the old connection died: the
    // newest request wins, so the offset it is compared with is final.
    if (this.feeding) {
      this.feeding.req.destroy()
      this.feeding.finish('cut')
    }
    if (declaredOffset !== this.offset) {
      // the offset check comes before any length check: a client out of step learns where to continue
      throw new ApiError(409, 'OFFSET_MISMATCH', `the server has the first ${this.offset} bytes of this upload but the request starts at byte ${declaredOffset}; ask for the offset with HEAD and continue from there`)
    }
    this.disarmIdle()
    this.lastActivity = Date.now()
    return new Promise<FeedEnd>((resolve) => {
      const onData = (chunk: Buffer) => {
        if (this.state !== 'receiving') return finish('failed')
        if (this.offset + chunk.length > this.length) return finish('too-long')
        this.offset += chunk.length
        this.lastActivity = Date.now()
        if (this.offset === this.length) {
          this.state = 'importing'
          this.input.end(chunk)
        } else if (!this.input.write(chunk)) req.pause()
      }
      const onEnd = () => finish('ended')
      const onClose = () => finish(req.complete ? 'ended' : 'cut')
      const finish = (end: FeedEnd) => {
        if (this.feeding?.req !== req) return
        req.off('data', onData)
        req.off('end', onEnd)
        req.off('close', onClose)
        this.feeding = null
        this.armIdle()
        resolve(end)
      }
      this.feeding = { req, finish }
      req.on('data', onData)
      req.once('end', onEnd)
      req.once('close', onClose)
      req.resume()
    })
  }

  /** Stops the import; what it staged is discarded by the importer (kept for a SuspendReason). Resolves once it has. */
  async cancel(reason: ImportError): Promise<void> {
    if (this.state === 'committed' || this.state === 'failed' || !this.begun) return
    this.aborter.abort(reason)
    this.input.destroy(new Error('aborted'))
    this.feeding?.req.destroy()
    await this.settled
  }

  private armIdle() {
    if (this.state !== 'receiving' || !this.begun || this.feeding || this.idleTimer || !(this.idleMs > 0)) return
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null
      void this.cancel(
        new ImportError(
          'CLIENT_IDLE',
          `no part of this resumable upload arrived for ${Math.round(this.idleMs / 1000)} s (STOWAGE_RESUMABLE_IDLE_SECONDS), so it was cancelled; nothing was imported`,
          408,
        ),
      )
    }, this.idleMs)
    this.idleTimer.unref()
  }

  private disarmIdle() {
    if (this.idleTimer) clearTimeout(this.idleTimer)
    this.idleTimer = null
  }
}
