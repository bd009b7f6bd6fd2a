// The OCI Distribution API (/v2/): routing, authorization and error answers. The endpoints live in
// manifests.ts, blobs.ts, uploads.ts, listings.ts and referrers.ts.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Services } from '../services'
import type { Ctx } from './context'
import { OciError, isOciError, sendOciError } from './errors'
import { sendJsonDocument } from './http'
import { parseRoute, type Route } from './routes'
import { authorizeOrThrow } from './authorization'
import { getManifest, putManifest, deleteManifest } from './manifests'
import { serveBlob, deleteBlob } from './blobs'
import { startUpload, patchUpload, finishUpload, uploadStatus, cancelUpload } from './uploads'
import { listTags, listCatalog } from './listings'
import { listReferrers } from './referrers'
import { isStoreUnavailable } from '../storage/store-errors'
import { isDatabaseUnavailable, DATABASE_UNAVAILABLE_MESSAGE } from '../db/db-errors'
import { ThrottledError } from '../auth/auth-settings'
import { handleTokenRequest } from './token-endpoint'
import { organizationOf } from '../auth/account-names'
import type { Action, Resource } from '../http/authorize'
import { rateLimitMessage } from '../limits/rate-limit'
import { tenancyError } from './tenancy'
import { nameRoute, registryRouteLabel } from '../ops/route-label'

export function isRegistryApi(pathname: string) {
  return pathname === '/v2' || pathname.startsWith('/v2/')
}

export async function handleRegistryApi(services: Services, req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? '/', 'http://localhost')
  const ctx: Ctx = { services, req, res, url }
  try {
    const route = parseRoute(url.pathname)
    if (!route) throw new OciError('UNSUPPORTED', `no registry API endpoint at ${url.pathname.slice(0, 200)}`, { status: 404 })
    nameRoute(req, registryRouteLabel(route))
    await dispatch(ctx, route)
  } catch (caught) {
    // sign-in throttling → 429; quota and organization refusals → DENIED / NAME_INVALID
    const e = caught instanceof ThrottledError ? throttled(caught) : tenancyError(caught)
    const gone = isClientGone(e, res)
    const dbDown = !isOciError(e) && isDatabaseUnavailable(e)
    if (!isOciError(e) && !gone) console.error('registry api error', req.method, url.pathname, isStoreUnavailable(e) ? e.message : dbDown ? DATABASE_UNAVAILABLE_MESSAGE : e)
    if (res.headersSent || gone) return void res.destroy() // mid-stream: the client sees a broken download
    sendOciError(
      req,
      res,
      isOciError(e) ? e : isStoreUnavailable(e) ? storeUnavailable(e) : dbDown ? unavailable(DATABASE_UNAVAILABLE_MESSAGE) : new OciError('UNKNOWN', 'internal server error'),
    )
  }
}

// sign-in throttling (Basic credentials here, or the token endpoint): the spec's 429 code
const throttled = (e: ThrottledError) => new OciError('TOOMANYREQUESTS', e.message, { headers: { 'Retry-After': String(e.retryAfterSeconds) } })

const storeUnavailable = (e: Error) => unavailable(e.message)
const unavailable = (message: string) => new OciError('UNAVAILABLE', message, { headers: { 'Retry-After': '5' } })

const isClientGone = (e: unknown, res: ServerResponse) => {
  const code = (e as { code?: string })?.code
  return res.destroyed || !!res.socket?.destroyed || code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE'
}

const methodNotAllowed = (method: string, allowed: string[]) =>
  new OciError('UNSUPPORTED', `${method} is not supported here; use ${allowed.join(', ')}`, { headers: { Allow: allowed.join(', ') } })

/**
 * Authorizes a write or delete of a repository, then spends one of its organization's write requests
 * (lib/limits/rate-limit.ts): refused callers never use up an organization's budget.
 */
async function authorizeWrite(ctx: Ctx, action: Action, resource: Extract<Resource, { kind: 'repository' }>, opts: { continuing?: boolean } = {}) {
  await authorizeOrThrow(ctx, action, resource)
  const organization = organizationOf(resource.name)
  const decision = await ctx.services.rateLimit?.consumeWrite(organization, opts)
  if (decision && !decision.allowed) {
    throw new OciError('TOOMANYREQUESTS', rateLimitMessage(organization, decision), { headers: { 'Retry-After': String(decision.retryAfterSeconds) } })
  }
}

async function dispatch(ctx: Ctx, route: Route) {
  const method = ctx.req.method ?? 'GET'
  const read = method === 'GET' || method === 'HEAD'
  const only = (allowed: string[]) => {
    if (!allowed.includes(method)) throw methodNotAllowed(method, allowed)
  }
  switch (route.kind) {
    case 'token':
      // credentials are checked by the endpoint itself: it is where callers without a token go
      return handleTokenRequest(ctx.services, ctx.req, ctx.res, ctx.url)
    case 'base':
      only(['GET', 'HEAD'])
      // anonymous callers get the challenge here: `docker login` learns the token endpoint from it
      await authorizeOrThrow(ctx, 'read', { kind: 'registry' })
      return sendJsonDocument(ctx.req, ctx.res, {})
    case 'catalog':
      only(['GET', 'HEAD'])
      await authorizeOrThrow(ctx, 'read', { kind: 'catalog' })
      return listCatalog(ctx)
    case 'tags':
      only(['GET', 'HEAD'])
      await authorizeOrThrow(ctx, 'read', { kind: 'repository', name: route.name })
      return listTags(ctx, route.name)
    case 'referrers':
      only(['GET', 'HEAD'])
      await authorizeOrThrow(ctx, 'read', { kind: 'repository', name: route.name })
      return listReferrers(ctx, route.name, route.digest)
    case 'manifest': {
      only(['GET', 'HEAD', 'PUT', 'DELETE'])
      const resource = { kind: 'repository', name: route.name } as const
      if (read) {
        await authorizeOrThrow(ctx, 'read', resource)
        return getManifest(ctx, route.name, route.reference)
      }
      if (method === 'PUT') {
        await authorizeWrite(ctx, 'write', resource)
        return putManifest(ctx, route.name, route.reference)
      }
      await authorizeWrite(ctx, 'delete', resource)
      return deleteManifest(ctx, route.name, route.reference)
    }
    case 'blob': {
      only(['GET', 'HEAD', 'DELETE'])
      const resource = { kind: 'repository', name: route.name } as const
      if (read) {
        await authorizeOrThrow(ctx, 'read', resource)
        return serveBlob(ctx, route.name, route.digest)
      }
      await authorizeWrite(ctx, 'delete', resource)
      return deleteBlob(ctx, route.name, route.digest)
    }
    case 'upload': {
      if (read) await authorizeOrThrow(ctx, 'write', { kind: 'repository', name: route.name })
      // an upload session's own requests (chunks, finish, cancel) continue a write the limit admitted
      else await authorizeWrite(ctx, 'write', { kind: 'repository', name: route.name }, { continuing: route.sessionId !== null })
      if (route.sessionId === null) {
        only(['POST'])
        return startUpload(ctx, route.name)
      }
      only(['GET', 'HEAD', 'PATCH', 'PUT', 'DELETE'])
      if (read) return uploadStatus(ctx, route.name, route.sessionId)
      if (method === 'PATCH') return patchUpload(ctx, route.name, route.sessionId)
      if (method === 'PUT') return finishUpload(ctx, route.name, route.sessionId)
      return cancelUpload(ctx, route.name, route.sessionId)
    }
  }
}
