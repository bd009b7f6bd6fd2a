// Resumable archive uploads over tus 1.0.0 (core + creation + termination) at /api/uploads/tus.
//   POST   /api/uploads/tus          Upload-Length, Upload-Metadata filename/repository/tag/organization → 201 Location
//   HEAD   /api/uploads/tus/{id}     → Upload-Offset (the bytes the server has), Upload-Length
//   PATCH  /api/uploads/tus/{id}     Upload-Offset + application/offset+octet-stream body → 204 Upload-Offset
//   DELETE /api/uploads/tus/{id}     cancels: the import stops and what it staged is deleted → 204
//   GET    /api/uploads/tus/{id}     the outcome as JSON: state, offset, and the import's result or error
// The PATCH that brings the last byte answers when the import committed (204) or with the same JSON
// error as POST /api/uploads. Same authorization as POST /api/uploads; a session is its creator's.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { randomUUID } from 'node:crypto'
import type { ApiCtx, ApiRoute } from './api-routes'
import { allow } from './api-routes'
import { ApiError, toJson } from './respond'
import { openArchiveUpload, type UploadTarget } from './repository-routes'
import { drainRequest } from './drain-request'
import { httpSettings } from './http-settings'
import { noteForLog } from './request-log'
import { ImportError } from '../archive/import-error'
import { ArchiveMessage } from '../archive/archive-messages'
import type { ImportResult } from '../archive/import-archive'
import type { Principal } from '../auth/principal'
import { ResumableSession, SuspendReason } from '../resumable/resumable-session'
import { sessionRegistry, resumableLeaseMs } from '../resumable/session-registry'
import { CheckpointRecorder } from '../resumable/checkpoint'
import type { Readable } from 'node:stream'
import { TUS_CONTENT_TYPE, TUS_EXTENSIONS, TUS_VERSION, byteCountHeader, parseUploadMetadata, tusHeaders } from '../resumable/tus-headers'

const ID = '([0-9a-f-]{36})'
const SAMPLE_ID = '/api/uploads/tus/00000000-0000-4000-8000-000000000000'

export const tusRoutes: ApiRoute[] = [
  { method: 'OPTIONS', pattern: /^\/api\/uploads\/tus$/, sample: '/api/uploads/tus', audience: 'anyone', handle: (ctx) => options(ctx) },
  { method: 'POST', pattern: /^\/api\/uploads\/tus$/, sample: '/api/uploads/tus?organization=ORG', audience: 'push', handle: (ctx) => create(ctx) },
  { method: 'HEAD', pattern: new RegExp(`^/api/uploads/tus/${ID}$`), sample: SAMPLE_ID, audience: 'signed-in', handle: (ctx, m) => head(ctx, m[1]) },
  { method: 'PATCH', pattern: new RegExp(`^/api/uploads/tus/${ID}$`), sample: SAMPLE_ID, audience: 'signed-in', handle: (ctx, m) => patch(ctx, m[1]) },
  { method: 'DELETE', pattern: new RegExp(`^/api/uploads/tus/${ID}$`), sample: SAMPLE_ID, audience: 'signed-in', handle: (ctx, m) => terminate(ctx, m[1]) },
  { method: 'GET', pattern: new RegExp(`^/api/uploads/tus/${ID}$`), sample: SAMPLE_ID, audience: 'signed-in', handle: (ctx, m) => status(ctx, m[1]) },
]

async function options(ctx: ApiCtx) {
  ctx.res.writeHead(204, {
    ...tusHeaders({ 'Tus-Version': TUS_VERSION, 'Tus-Extension': TUS_EXTENSIONS, 'Tus-Max-Size': String(ctx.services.limits.maxArchiveBytes) }),
  })
  ctx.res.end()
}

async function create(ctx: ApiCtx) {
  const { req, res, url, services } = ctx
  checkTusVersion(req)
  // metadata is the protocol's way; query parameters as for POST /api/uploads are accepted too
  const meta = parseUploadMetadata(req.headers['upload-metadata'])
  const target = targetOf(meta, url)
  const opened = await openArchiveUpload(ctx, target)
  let length: number | null
  try {
    if (req.headers['upload-defer-length'] !== undefined) throw new ApiError(400, 'HEADER_INVALID', 'Upload-Defer-Length is not supported: give Upload-Length')
    length = byteCountHeader(req.headers['upload-length'], 'Upload-Length')
    if (length === null) throw new ApiError(400, 'HEADER_INVALID', 'Upload-Length is required: the size of the archive in bytes')
    if (length === 0) throw new ApiError(400, 'EMPTY_UPLOAD', ArchiveMessage.empty)
    if (length > services.limits.maxArchiveBytes) {
      throw new ApiError(413, 'ARCHIVE_TOO_LARGE', `the archive is ${length} bytes; uploads are limited to ${services.limits.maxArchiveBytes} bytes (STOWAGE_MAX_ARCHIVE_BYTES)`)
    }
  } catch (e) {
    opened.audit.failed(e)
    await opened.audit.record()
    throw e
  }
  const registry = sessionRegistry(services)
  const id = randomUUID()
  // what a successor needs to continue it after a restart: the resolved names, not the request
  const stored = Object.fromEntries(Object.entries({ filename: target.filename, repository: target.repository, tag: target.tag, organization: target.organization }).filter(([, v]) => v)) as Record<string, string>
  await services.db.resumableUpload.create({ data: { id, ownerId: ownerOf(opened.principal), length: BigInt(length), metadata: JSON.stringify(stored) } })
  const session = new ResumableSession(id, length, ownerOf(opened.principal), stored, registry.settings.idleMs)
  registry.add(session)
  session.begin(importRunner(ctx, session, opened))
  res.writeHead(201, tusHeaders({ Location: `/api/uploads/tus/${id}`, 'Upload-Offset': '0' }))
  res.end()
}

/** What an upload's metadata asks for, as the upload checks take it. */
function targetOf(meta: Record<string, string>, url?: URL): UploadTarget {
  const param = (key: string) => (meta[key] ?? url?.searchParams.get(key) ?? '').trim() || null
  return { organization: param('organization'), repository: param('repository'), tag: param('tag'), filename: meta.filename ?? url?.searchParams.get('filename') ?? null, dryRun: false }
}

type OpenedUpload = Awaited<ReturnType<typeof openArchiveUpload>>

/** The session's import: checkpointed at tar entry boundaries and inside layers, continued from its resume point if it has one. */
function importRunner(ctx: ApiCtx, session: ResumableSession, opened: OpenedUpload) {
  const { services } = ctx
  const registry = sessionRegistry(services)
  const checkpoints = new CheckpointRecorder(services, session.id)
  return async (body: Readable, signal: AbortSignal): Promise<ImportResult> => {
    const suspended = () => signal.reason instanceof SuspendReason
    try {
      return (await opened.run(body, signal, {
        uploadId: session.id,
        leaseMs: resumableLeaseMs(registry.settings),
        resume: session.resumePoint ?? undefined,
        onCheckpoint: (offset, reader) => checkpoints.record(offset, reader),
        onLayerCheckpoint: (offset, reader, layer) => checkpoints.recordLayer(offset, reader, layer),
        keepOnAbort: (reason) => reason instanceof SuspendReason,
      })) as ImportResult
    } finally {
      await checkpoints.settled()
      if (!suspended()) {
        // finished: the checkpoint is of no use any more (the outcome is on the Upload row)
        await services.db.resumableUpload.update({ where: { id: session.id }, data: { checkpoint: null, updatedAt: new Date() } }).catch(() => {})
        await opened.audit.record()
      }
    }
  }
}

async function head(ctx: ApiCtx, id: string) {
  const session = await sessionOf(ctx, id)
  ctx.res.writeHead(200, tusHeaders({ 'Upload-Offset': String(session.offset), 'Upload-Length': String(session.length) }))
  ctx.res.end()
}

async function patch(ctx: ApiCtx, id: string) {
  const { req, res } = ctx
  try {
    await feedSession(ctx, await sessionOf(ctx, id))
  } catch (e) {
    // answered after the body is drained, so a client still sending reads the answer instead of a reset
    if ((e instanceof ApiError && e.status !== 401 && e.status !== 404) || e instanceof ImportError) return sendError(req, res, e, ctx)
    throw e
  }
}

async function feedSession(ctx: ApiCtx, session: ResumableSession) {
  const { req, res } = ctx
  checkTusVersion(req)
  const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase()
  if (type !== TUS_CONTENT_TYPE) throw new ApiError(415, 'CONTENT_TYPE_INVALID', `a PATCH body must be ${TUS_CONTENT_TYPE}, not "${type || 'none'}"`)
  const offset = byteCountHeader(req.headers['upload-offset'], 'Upload-Offset')
  if (offset === null) throw new ApiError(400, 'HEADER_INVALID', 'Upload-Offset is required: the byte this request starts at')
  const declared = byteCountHeader(req.headers['content-length'], 'Content-Length')
  if (session.state === 'failed') throw session.error!
  if (session.state !== 'receiving') {
    // all bytes are in: a repeated last PATCH (its answer got lost) waits for the outcome
    if (offset !== session.length || declared) throw new ApiError(409, 'OFFSET_MISMATCH', `the server has all ${session.length} bytes of this upload`)
    return answerOutcome(ctx, session)
  }
  if (!session.feedingNow && offset !== session.offset) session.feed(req, offset) // throws the 409 that says where to continue
  if (declared !== null && offset + declared > session.length) {
    throw new ApiError(413, 'BEYOND_LENGTH', `the request would end at byte ${offset + declared}, past the upload's length of ${session.length} bytes`)
  }
  if (!session.begun) {
    // read back after a restart: the import continues from the checkpoint once the client sends from there
    if (offset !== session.offset) session.feed(req, offset) // throws the 409
    session.begin(importRunner(ctx, session, await openArchiveUpload(ctx, targetOf(session.metadata))))
  }
  const end = await session.feed(req, offset)
  if (end === 'cut') return void res.destroy()
  if (end === 'too-long') throw new ApiError(413, 'BEYOND_LENGTH', `the request sends more than the upload's length of ${session.length} bytes`)
  if (end === 'ended' && session.state === 'receiving') {
    res.writeHead(204, tusHeaders({ 'Upload-Offset': String(session.offset) }))
    return void res.end()
  }
  return answerOutcome(ctx, session)
}

/** The last PATCH: 204 once the import committed, else its rejection as POST /api/uploads would answer it. */
async function answerOutcome(ctx: ApiCtx, session: ResumableSession) {
  await session.settled
  if (session.state === 'committed') {
    ctx.res.writeHead(204, tusHeaders({ 'Upload-Offset': String(session.offset) }))
    return void ctx.res.end()
  }
  return sendError(ctx.req, ctx.res, session.error!, ctx)
}

async function terminate(ctx: ApiCtx, id: string) {
  const session = await sessionOf(ctx, id)
  await sessionRegistry(ctx.services).cancel(session, new ImportError('CLIENT_ABORTED', 'the upload was cancelled; nothing was imported', 400))
  ctx.res.writeHead(204, tusHeaders())
  ctx.res.end()
}

async function status(ctx: ApiCtx, id: string) {
  const s = await sessionOf(ctx, id)
  const body = {
    id: s.id,
    state: s.state,
    offset: s.offset,
    length: s.length,
    // a request is delivering bytes right now (its offset may still grow): a client that lost its
    // connection resumes once this is false, or with the newest PATCH, which takes over
    attached: s.feedingNow,
    ...(s.result ? { result: s.result } : {}),
    ...(s.error ? { error: { code: s.error.code, message: s.error.message, ...(s.error.detail ? { detail: s.error.detail } : {}) }, status: s.error.status } : {}),
  }
  const text = Buffer.from(toJson(body))
  ctx.res.writeHead(200, tusHeaders({ 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(text.length) }))
  ctx.res.end(text)
}

/** The session, if it exists and the caller created it (or administers the server); else 404. */
async function sessionOf(ctx: ApiCtx, id: string): Promise<ResumableSession> {
  const principal = await allow(ctx, 'read', { kind: 'server' })
  const session = await sessionRegistry(ctx.services).find(id)
  const mine = session && principal.kind === 'user' && (principal.id === session.ownerId || principal.admin)
  if (!mine) throw new ApiError(404, 'UPLOAD_NOT_FOUND', `no resumable upload ${id} (it finished long ago, was cancelled, or belongs to someone else)`)
  return session
}

const ownerOf = (p: Principal) => (p.kind === 'user' ? p.id : -1)

function checkTusVersion(req: IncomingMessage) {
  const v = req.headers['tus-resumable']
  if (v !== undefined && v !== TUS_VERSION) throw new ApiError(412, 'TUS_VERSION_UNSUPPORTED', `this server speaks tus ${TUS_VERSION}, not ${String(v)}`)
}

/**
 * An error answer with the tus headers; while the body still arrives it is read and dropped (never
 * stored) so the client sees the answer instead of a reset, then the connection closes.
 */
async function sendError(req: IncomingMessage, res: ServerResponse, e: ImportError | ApiError, ctx: ApiCtx) {
  if (res.destroyed) return
  noteForLog(res, e.code)
  const text = Buffer.from(toJson({ error: { code: e.code, message: e.message, ...(e.detail ? { detail: e.detail } : {}) } }))
  const receiving = !req.complete
  res.writeHead(
    e.status,
    tusHeaders({ 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(text.length), ...(receiving ? { Connection: 'close' } : {}) }),
  )
  res.write(text)
  if (receiving) await drainRequest(req, httpSettings(ctx.services.http).rejectDrainBytes)
  if (!res.destroyed) res.end()
}
