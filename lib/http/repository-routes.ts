// Console API: repositories, tags, images, downloads and archive uploads.
import type { ApiCtx, ApiRoute } from './api-routes'
import { allow } from './api-routes'
import { ApiError, sendJson } from './respond'
import { importArchive } from '../archive/import-archive'
import { dryRunUpload } from '../archive/dry-run'
import { runUploadExchange } from './upload-exchange'
import { listRepositories, listTags, getTagDetail, getManifestDetail, deleteTag, PAGE_SIZE, isRepositorySort, REPOSITORY_SORTS } from '../registry/queries'
import { decodePathSegment, positiveIntParam, MAX_PAGE_NUMBER, MAX_PAGE_SIZE } from './request-params'
import { serveImageArchive } from '../registry/export-archive'
import { handlePutTag } from './tag-pointer-api'
import { organizationOf } from '../auth/account-names'
import { limitWrites } from '../limits/limit-writes'

const REPO = '(.+?)'
const name = (raw: string) => decodePathSegment(raw, 'repository name')

export const repositoryRoutes: ApiRoute[] = [
  { method: 'POST', pattern: /^\/api\/uploads$/, sample: '/api/uploads?organization=ORG', audience: 'push', handle: (ctx) => upload(ctx) },
  {
    method: 'GET',
    pattern: /^\/api\/repositories$/,
    sample: '/api/repositories',
    audience: 'anyone',
    async handle(ctx) {
      await allow(ctx, 'read', { kind: 'catalog' })
      const { url } = ctx
      const page = positiveIntParam(url, 'page', 1, MAX_PAGE_NUMBER)
      const pageSize = positiveIntParam(url, 'pageSize', PAGE_SIZE, MAX_PAGE_SIZE)
      const sort = url.searchParams.get('sort') || 'name'
      if (!isRepositorySort(sort)) throw new ApiError(400, 'SORT_INVALID', `sort must be one of ${REPOSITORY_SORTS.join(', ')}`)
      sendJson(ctx.res, 200, await listRepositories(ctx.services, (url.searchParams.get('q') ?? '').trim(), page, pageSize, sort))
    },
  },
  ...['GET', 'HEAD'].map(
    (method): ApiRoute => ({
      method,
      pattern: new RegExp(`^/api/repositories/${REPO}/tags/([^/]+)/archive$`),
      sample: '/api/repositories/REPO/tags/v1/archive',
      audience: 'pull',
      async handle(ctx, m) {
        const repository = name(m[1])
        const tag = decodePathSegment(m[2], 'tag')
        await allow(ctx, 'read', { kind: 'repository', name: repository })
        return serveImageArchive(ctx.services, ctx.req, ctx.res, repository, tag)
      },
    }),
  ),
  {
    method: 'GET',
    pattern: new RegExp(`^/api/repositories/${REPO}/digests/(sha256:[a-f0-9]{64})$`),
    sample: `/api/repositories/REPO/digests/sha256:${'0'.repeat(64)}`,
    audience: 'pull',
    async handle(ctx, m) {
      const repository = name(m[1])
      await allow(ctx, 'read', { kind: 'repository', name: repository })
      const detail = await getManifestDetail(ctx.services, repository, m[2])
      if (!detail) throw new ApiError(404, 'MANIFEST_NOT_FOUND', `${repository}@${m[2]} does not exist`)
      sendJson(ctx.res, 200, detail)
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/api/repositories/${REPO}/tags$`),
    sample: '/api/repositories/REPO/tags',
    audience: 'pull',
    async handle(ctx, m) {
      const repository = name(m[1])
      await allow(ctx, 'read', { kind: 'repository', name: repository })
      const tags = await listTags(ctx.services, repository)
      if (!tags) throw new ApiError(404, 'REPOSITORY_NOT_FOUND', `repository "${repository}" does not exist`)
      sendJson(ctx.res, 200, tags)
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/api/repositories/${REPO}/tags/([^/]+)$`),
    sample: '/api/repositories/REPO/tags/v1',
    audience: 'pull',
    async handle(ctx, m) {
      const repository = name(m[1])
      const tag = decodePathSegment(m[2], 'tag')
      await allow(ctx, 'read', { kind: 'repository', name: repository })
      const detail = await getTagDetail(ctx.services, repository, tag)
      if (!detail) throw new ApiError(404, 'TAG_NOT_FOUND', `${repository}:${tag} does not exist`)
      sendJson(ctx.res, 200, detail)
    },
  },
  {
    method: 'DELETE',
    pattern: new RegExp(`^/api/repositories/${REPO}/tags/([^/]+)$`),
    sample: '/api/repositories/REPO/tags/v1',
    audience: 'push',
    async handle(ctx, m) {
      const repository = name(m[1])
      const tag = decodePathSegment(m[2], 'tag')
      await allow(ctx, 'delete', { kind: 'repository', name: repository })
      await limitWrites(ctx, organizationOf(repository))
      if (!(await deleteTag(ctx.services, repository, tag))) throw new ApiError(404, 'TAG_NOT_FOUND', `${repository}:${tag} does not exist`)
      ctx.res.writeHead(204).end()
    },
  },
  {
    method: 'PUT',
    pattern: new RegExp(`^/api/repositories/${REPO}/tags/([^/]+)$`),
    sample: '/api/repositories/REPO/tags/v1',
    audience: 'push',
    async handle(ctx, m) {
      const repository = name(m[1])
      const tag = decodePathSegment(m[2], 'tag')
      await allow(ctx, 'write', { kind: 'repository', name: repository })
      await limitWrites(ctx, organizationOf(repository))
      return handlePutTag(ctx.services, ctx.req, ctx.res, repository, tag)
    },
  },
]

async function upload(ctx: ApiCtx) {
  const { req, res, url } = ctx
  // TODO(issue 10, upload slice): ?organization= placement and per-name authorization inside the import
  const target = url.searchParams.get('organization') ?? url.searchParams.get('repository')
  if (target) await allow(ctx, 'write', { kind: 'organization', name: organizationOf(target) })
  else await allow(ctx, 'manage', { kind: 'server' })
  if (target) await limitWrites(ctx, organizationOf(target))
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
