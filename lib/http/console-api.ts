// The console's JSON API (/api/...): matches the route table (api-routes.ts) and turns errors into
// answers. Handlers are thin: parse, authorize, call lib/, answer.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Services } from '../services'
import { ApiError, sendConsoleError } from './respond'
import { isStoreUnavailable } from '../storage/store-errors'
import { isDatabaseUnavailable, DATABASE_UNAVAILABLE_MESSAGE } from '../db/db-errors'
import { ThrottledError } from '../auth/auth-settings'
import type { ApiCtx, ApiRoute } from './api-routes'
import { repositoryRoutes } from './repository-routes'
import { accountRoutes } from './account-routes'
import { auditRoutes } from './audit-routes'
import { gcRoutes } from './gc-routes'
import { jobRoutes } from './job-routes'
import { retentionRoutes } from './retention-routes'
import { tusRoutes } from './tus-routes'
import { layerFileRoutes } from './layer-file-routes'
import { imageAnalysisRoutes } from './image-analysis-routes'
import { nameRoute, apiRouteLabel } from '../ops/route-label'

/** Every console API route, in matching order. */
export const apiRoutes: ApiRoute[] = [...repositoryRoutes, ...accountRoutes, ...auditRoutes, ...gcRoutes, ...jobRoutes, ...retentionRoutes, ...tusRoutes, ...layerFileRoutes, ...imageAnalysisRoutes]

export function isConsoleApi(pathname: string) {
  return pathname === '/api' || pathname.startsWith('/api/')
}

export async function handleConsoleApi(services: Services, req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? '/', 'http://localhost')
  const ctx: ApiCtx = { services, req, res, url }
  try {
    await route(ctx)
  } catch (e) {
    if (e instanceof ApiError) return sendConsoleError(res, e)
    if (e instanceof ThrottledError && !res.headersSent) {
      res.setHeader('Retry-After', String(e.retryAfterSeconds))
      return sendConsoleError(res, new ApiError(429, 'TOO_MANY_REQUESTS', e.message))
    }
    if (isStoreUnavailable(e) && !res.headersSent) return sendConsoleError(res, new ApiError(503, 'STORAGE_UNAVAILABLE', e.message))
    if (isDatabaseUnavailable(e) && !res.headersSent) return sendConsoleError(res, new ApiError(503, 'DATABASE_UNAVAILABLE', DATABASE_UNAVAILABLE_MESSAGE))
    console.error('console api error', e)
    if (!res.headersSent) sendConsoleError(res, new ApiError(500, 'INTERNAL', 'internal server error'))
    else res.destroy()
  }
}

async function route(ctx: ApiCtx) {
  const path = ctx.url.pathname.replace(/\/+$/, '')
  const method = ctx.req.method ?? 'GET'
  const allowed: string[] = []
  for (const r of apiRoutes) {
    const m = r.pattern.exec(path)
    if (!m) continue
    if (r.method === method) {
      nameRoute(ctx.req, apiRouteLabel(r))
      return r.handle(ctx, m)
    }
    allowed.push(r.method)
  }
  if (allowed.length) throw new ApiError(405, 'METHOD_NOT_ALLOWED', `use ${[...new Set(allowed)].join(', ')}`)
  throw new ApiError(404, 'NOT_FOUND', `no API endpoint at ${ctx.url.pathname}`)
}
