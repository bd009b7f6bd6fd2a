// The console's JSON API (/api/...). Handlers are thin: parse, authorize, call lib/, answer.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Services } from '../services'
import { ApiError, sendJson, sendConsoleError } from './respond'
import { authorize, type Action, type Resource } from './authorize'
import { importArchive } from '../archive/import-archive'
import { dryRunUpload } from '../archive/dry-run'
import { runUploadExchange } from './upload-exchange'
import { listRepositories, listTags, getTagDetail, getManifestDetail, deleteTag, PAGE_SIZE, isRepositorySort, REPOSITORY_SORTS } from '../registry/queries'
import { isStoreUnavailable } from '../storage/store-errors'
import { decodePathSegment, positiveIntParam, MAX_PAGE_NUMBER, MAX_PAGE_SIZE } from './request-params'
import { serveImageArchive } from '../registry/export-archive'
import { handlePutTag } from './tag-pointer-api'

type Ctx = { services: Services; req: IncomingMessage; res: ServerResponse; url: URL }

export function isConsoleApi(pathname: string) {
  return pathname === '/api' || pathname.startsWith('/api/')
}

export async function handleConsoleApi(services: Services, req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? '/', 'http://localhost')
  const ctx: Ctx = { services, req, res, url }
  try {
    await route(ctx)
  } catch (e) {
    if (e instanceof ApiError) return sendConsoleError(res, e)
    if (isStoreUnavailable(e) && !res.headersSent) return sendConsoleError(res, new ApiError(503, 'STORAGE_UNAVAILABLE', e.message))
    console.error('console api error', e)
    if (!res.headersSent) sendConsoleError(res, new ApiError(500, 'INTERNAL', 'internal server error'))
    else res.destroy()
  }
}

function allow(ctx: Ctx, action: Action, resource: Resource) {
  const d = authorize(ctx.req, action, resource)
  if (!d.allowed) throw new ApiError(d.status, d.status === 401 ? 'UNAUTHORIZED' : 'DENIED', d.reason)
}

async function route(ctx: Ctx) {
  const { req, url } = ctx
  const path = url.pathname.replace(/\/+$/, '')
  const method = req.method ?? 'GET'

  if (path === '/api/uploads') {
    if (method !== 'POST') throw new ApiError(405, 'METHOD_NOT_ALLOWED', 'use POST with the archive as the request body')
    return upload(ctx)
  }
  if (path === '/api/repositories') {
    if (method !== 'GET') throw new ApiError(405, 'METHOD_NOT_ALLOWED', 'use GET')
    allow(ctx, 'read', { kind: 'catalog' })
    const page = positiveIntParam(url, 'page', 1, MAX_PAGE_NUMBER)
    const pageSize = positiveIntParam(url, 'pageSize', PAGE_SIZE, MAX_PAGE_SIZE)
    const sort = url.searchParams.get('sort') || 'name'
    if (!isRepositorySort(sort)) throw new ApiError(400, 'SORT_INVALID', `sort must be one of ${REPOSITORY_SORTS.join(', ')}`)
    return sendJson(ctx.res, 200, await listRepositories(ctx.services, (url.searchParams.get('q') ?? '').trim(), page, pageSize, sort))
  }
  const archive = /^\/api\/repositories\/(.+)\/tags\/([^/]+)\/archive$/.exec(path)
  if (archive) {
    if (method !== 'GET' && method !== 'HEAD') throw new ApiError(405, 'METHOD_NOT_ALLOWED', 'use GET')
    const name = decodePathSegment(archive[1], 'repository name')
    const tag = decodePathSegment(archive[2], 'tag')
    allow(ctx, 'read', { kind: 'repository', name })
    return serveImageArchive(ctx.services, req, ctx.res, name, tag)
  }
  const byDigest = /^\/api\/repositories\/(.+)\/digests\/(sha256:[a-f0-9]{64})$/.exec(path)
  if (byDigest) {
    if (method !== 'GET') throw new ApiError(405, 'METHOD_NOT_ALLOWED', 'use GET')
    const name = decodePathSegment(byDigest[1], 'repository name')
    allow(ctx, 'read', { kind: 'repository', name })
    const detail = await getManifestDetail(ctx.services, name, byDigest[2])
    if (!detail) throw new ApiError(404, 'MANIFEST_NOT_FOUND', `${name}@${byDigest[2]} does not exist`)
    return sendJson(ctx.res, 200, detail)
  }
  const m = /^\/api\/repositories\/(.+?)\/tags(?:\/([^/]+))?$/.exec(path)
  if (m) {
    const name = decodePathSegment(m[1], 'repository name')
    const tag = m[2] === undefined ? null : decodePathSegment(m[2], 'tag')
    if (tag === null) {
      if (method !== 'GET') throw new ApiError(405, 'METHOD_NOT_ALLOWED', 'use GET')
      allow(ctx, 'read', { kind: 'repository', name })
      const tags = await listTags(ctx.services, name)
      if (!tags) throw new ApiError(404, 'REPOSITORY_NOT_FOUND', `repository "${name}" does not exist`)
      return sendJson(ctx.res, 200, tags)
    }
    if (method === 'GET') {
      allow(ctx, 'read', { kind: 'repository', name })
      const detail = await getTagDetail(ctx.services, name, tag)
      if (!detail) throw new ApiError(404, 'TAG_NOT_FOUND', `${name}:${tag} does not exist`)
      return sendJson(ctx.res, 200, detail)
    }
    if (method === 'DELETE') {
      allow(ctx, 'delete', { kind: 'repository', name })
      if (!(await deleteTag(ctx.services, name, tag))) throw new ApiError(404, 'TAG_NOT_FOUND', `${name}:${tag} does not exist`)
      ctx.res.writeHead(204).end()
      return
    }
    if (method === 'PUT') {
      allow(ctx, 'write', { kind: 'repository', name })
      return handlePutTag(ctx.services, req, ctx.res, name, tag)
    }
    throw new ApiError(405, 'METHOD_NOT_ALLOWED', 'use GET, PUT or DELETE')
  }
  throw new ApiError(404, 'NOT_FOUND', `no API endpoint at ${url.pathname}`)
}

async function upload(ctx: Ctx) {
  allow(ctx, 'write', { kind: 'upload' })
  const { req, res, url } = ctx
  const dryRun = url.searchParams.get('dryRun') === 'true' // reads and answers, stores nothing (lib/archive/dry-run.ts)
  await runUploadExchange(req, res, ctx.services.http, (body, signal) =>
    (dryRun ? dryRunUpload : importArchive)(ctx.services, {
      body,
      filename: url.searchParams.get('filename') ?? (req.headers['x-filename'] as string | undefined) ?? null,
      repository: url.searchParams.get('repository'),
      tag: url.searchParams.get('tag'),
      signal,
    }),
    dryRun ? 200 : 201,
  )
}
