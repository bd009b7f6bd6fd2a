// The blob upload endpoints: POST /v2/<name>/blobs/uploads/ (session, monolithic ?digest=, ?mount=&from=),
// PATCH (chunk), PUT ?digest= (finish, optionally with a last chunk), GET (status), DELETE (cancel).
import type { Ctx } from './context'
import { requestLength } from './context'
import { OciError } from './errors'
import { sendEmpty } from './http'
import { checkDigest } from './references'
import { DEFAULT_ALGORITHM, algorithmOf, checkAlgorithm } from './digest-algorithms'
import { startRunningDigest } from './upload-digests'
import { parseChunkRange } from './range'
import { authorizeOrThrow } from './authorization'
import { repositoryNameProblem } from '../registry/names'
import { findLinkedBlob, linkBlob } from './blob-links'
import { acquireSession, cancelSession, createSession, loadSession, releaseSession, type UploadSession } from './upload-session'
import { appendToSession, SizeLimitExceeded, type AppendLimits } from './chunk-writer'
import { finishSession } from './upload-finish'
import { ensurePushTarget } from './tenancy'
import { inForeground } from '../jobs/foreground'

const sessionPath = (name: string, id: string) => `/v2/${name}/blobs/uploads/${id}`

/** Where the session stands: the Range is inclusive, "0-0" also for an empty session (as the reference registry answers). */
function progressHeaders(name: string, s: UploadSession) {
  return {
    Location: sessionPath(name, s.id),
    'Docker-Upload-UUID': s.id,
    Range: `0-${Math.max(0, s.receivedBytes - 1)}`,
  }
}

function blobCreated(ctx: Ctx, name: string, digest: string) {
  sendEmpty(ctx.res, 201, { Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest })
}

export async function startUpload(ctx: Ctx, name: string) {
  const { url } = ctx
  // What the client asks for is checked before anything is stored or read: an algorithm or digest this
  // registry cannot verify is refused now, not after the client sent the whole blob.
  const rawAlgorithm = url.searchParams.get('digest-algorithm')
  const requested = rawAlgorithm === null ? null : checkAlgorithm(rawAlgorithm)
  const rawDigest = url.searchParams.get('digest')
  const digest = rawDigest === null ? null : checkDigest(rawDigest)
  if (digest && requested && algorithmOf(digest) !== requested) {
    throw new OciError('DIGEST_INVALID', `digest-algorithm is ${requested} but the digest ${digest.slice(0, 80)} is ${algorithmOf(digest)}`, {
      detail: { algorithm: requested, digest },
    })
  }
  const rawMount = url.searchParams.get('mount')
  const mount = rawMount === null ? null : checkDigest(rawMount, 'mount digest')
  await ensurePushTarget(ctx, name) // an administrator's push creates a missing organization
  if (mount !== null && (await tryMount(ctx, name, mount, url.searchParams.get('from')))) return
  if (digest !== null) return inForeground(ctx.services.foreground, () => monolithicUpload(ctx, name, digest))
  const session = await createSession(ctx.services, name)
  // a mount that could not be done is followed by a push of the same blob: hash in its algorithm
  startRunningDigest(ctx.services, session.id, requested ?? (mount ? algorithmOf(mount) : DEFAULT_ALGORITHM))
  sendEmpty(ctx.res, 202, progressHeaders(name, session))
}

/** Links a blob another repository has; false (start a normal upload) when it cannot. */
async function tryMount(ctx: Ctx, name: string, digest: string, from: string | null): Promise<boolean> {
  if (!from || repositoryNameProblem(from)) return false
  if (!(await authorizeOrThrow(ctx, 'read', { kind: 'repository', name: from }, { quiet: true }))) return false
  if (!(await findLinkedBlob(ctx.services, from, digest))) return false
  if (!(await linkBlob(ctx.services, name, digest))) return false
  blobCreated(ctx, name, digest)
  return true
}

/** POST ?digest=: the whole blob in one request. */
async function monolithicUpload(ctx: Ctx, name: string, digest: string) {
  const length = requestLength(ctx)
  if (length !== null && length > ctx.services.limits.maxLayerBytes) throw new SizeLimitExceeded(ctx.services.limits.maxLayerBytes)
  const session = await createSession(ctx.services, name, { locked: true })
  startRunningDigest(ctx.services, session.id, algorithmOf(digest))
  try {
    const stored = await appendToSession(ctx.services, session, ctx.req, { ...limitsFor(ctx, null), sizeHint: length })
    await finishSession(ctx.services, stored, digest)
  } catch (e) {
    await cancelSession(ctx.services, session).catch(() => {})
    throw e
  }
  blobCreated(ctx, name, digest)
}

export async function uploadStatus(ctx: Ctx, name: string, id: string) {
  const session = await loadSession(ctx.services, name, id)
  sendEmpty(ctx.res, 204, progressHeaders(name, session))
}

export async function cancelUpload(ctx: Ctx, name: string, id: string) {
  const session = await loadSession(ctx.services, name, id)
  await cancelSession(ctx.services, session)
  sendEmpty(ctx.res, 204)
}

// Receiving blob bytes is foreground work: background measurements hold back meanwhile (lib/jobs/foreground.ts).
export const patchUpload = (ctx: Ctx, name: string, id: string) => inForeground(ctx.services.foreground, () => patchChunk(ctx, name, id))
export const finishUpload = (ctx: Ctx, name: string, id: string) => inForeground(ctx.services.foreground, () => finishWithChunk(ctx, name, id))

async function patchChunk(ctx: Ctx, name: string, id: string) {
  const session = await acquireSession(ctx.services, name, id)
  let stored: UploadSession
  try {
    stored = await appendChecked(ctx, name, session)
  } finally {
    // released before answering: the client sends its next chunk as soon as it has the answer
    await releaseSession(ctx.services, id).catch(() => {})
  }
  sendEmpty(ctx.res, 202, progressHeaders(name, stored))
}

async function finishWithChunk(ctx: Ctx, name: string, id: string) {
  const digest = checkDigest(ctx.url.searchParams.get('digest'))
  const session = await acquireSession(ctx.services, name, id)
  try {
    const stored = await appendChecked(ctx, name, session)
    await finishSession(ctx.services, stored, digest)
  } finally {
    await releaseSession(ctx.services, id).catch(() => {}) // a no-op once the session is gone
  }
  blobCreated(ctx, name, digest)
}

/** Checks the chunk's Content-Range against what the session holds, then appends the body. */
async function appendChecked(ctx: Ctx, name: string, session: UploadSession): Promise<UploadSession> {
  const header = ctx.req.headers['content-range']
  const range = parseChunkRange(header)
  if (header !== undefined && !range) {
    throw new OciError('BLOB_UPLOAD_INVALID', `Content-Range "${header.slice(0, 60)}" is not <start>-<end>`, { detail: { contentRange: header } })
  }
  const length = requestLength(ctx)
  if (range) {
    if (range.start !== session.receivedBytes || range.end < range.start) {
      throw new OciError('BLOB_UPLOAD_INVALID', `the chunk ${range.start}-${range.end} does not continue the upload, which has ${session.receivedBytes} bytes`, {
        status: 416,
        detail: { received: session.receivedBytes },
        headers: progressHeaders(name, session),
      })
    }
    if (length !== null && length !== range.end - range.start + 1) {
      throw new OciError('BLOB_UPLOAD_INVALID', `Content-Range ${range.start}-${range.end} and Content-Length ${length} disagree`, {
        detail: { contentRange: header, contentLength: length },
      })
    }
  }
  const limits = { ...limitsFor(ctx, range ? range.end - range.start + 1 : null), sizeHint: length }
  if (length !== null && session.receivedBytes + length > limits.maxBlobBytes) throw new SizeLimitExceeded(limits.maxBlobBytes)
  try {
    return await appendToSession(ctx.services, session, ctx.req, limits)
  } catch (e) {
    // a blob over the limit can never finish: do not keep its bytes around
    if (e instanceof SizeLimitExceeded) await cancelSession(ctx.services, session).catch(() => {})
    throw e
  }
}

const limitsFor = (ctx: Ctx, expectedBytes: number | null): AppendLimits => ({ maxBlobBytes: ctx.services.limits.maxLayerBytes, expectedBytes })
