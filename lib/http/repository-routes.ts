// Console API: repositories, tags, images, downloads and archive uploads.
import type { ApiCtx, ApiRoute, Audience } from './api-routes'
import type { Action } from './authorize'
import type { Principal } from '../auth/principal'
import { allow } from './api-routes'
import { ApiError, sendJson } from './respond'
import { importArchive, quotaImportError, type ImportResult, type ImportHooks } from '../archive/import-archive'
import type { Readable } from 'node:stream'
import { dryRunUpload, type DryRunResult } from '../archive/dry-run'
import { runUploadExchange } from './upload-exchange'
import { listRepositories, listTags, getTagDetail, getManifestDetail, deleteTag, PAGE_SIZE, TAG_PAGE_SIZE, isRepositorySort, REPOSITORY_SORTS } from '../registry/queries'
import { decodePathSegment, positiveIntParam, MAX_PAGE_NUMBER, MAX_PAGE_SIZE } from './request-params'
import { serveImageArchive } from '../registry/export-archive'
import { pointTag } from './tag-pointer-api'
import { limitWrites } from '../limits/limit-writes'
import { organizationOf, organizationNameProblem, placeInOrganization } from '../auth/account-names'
import { pushRefusal } from '../accounts/push-targets'
import { enforceQuotas, isQuotaExceeded } from '../accounts/quotas'
import { ImportError } from '../archive/import-error'
import { recordAudit } from '../audit/audit-log'
import { UploadAudit } from '../audit/upload-audit'
import type { ImageName } from '../registry/names'
import { visibleScope } from '../auth/visibility'
import { manifestRoutes } from './manifest-routes'

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
      const principal = await allow(ctx, 'read', { kind: 'catalog' })
      const { url } = ctx
      const page = positiveIntParam(url, 'page', 1, MAX_PAGE_NUMBER)
      const pageSize = positiveIntParam(url, 'pageSize', PAGE_SIZE, MAX_PAGE_SIZE)
      const sort = url.searchParams.get('sort') || 'name'
      if (!isRepositorySort(sort)) throw new ApiError(400, 'SORT_INVALID', `sort must be one of ${REPOSITORY_SORTS.join(', ')}`)
      const scope = await visibleScope(ctx.services, principal)
      sendJson(ctx.res, 200, await listRepositories(ctx.services, scope, (url.searchParams.get('q') ?? '').trim(), page, pageSize, sort))
    },
  },
  ...['GET', 'HEAD'].map(
    (method): ApiRoute => ({
      method,
      pattern: new RegExp(`^/api/repositories/${REPO}/tags/([^/]+)/archive$`),
      sample: '/api/repositories/REPO/tags/v1/archive',
      audience: 'pull',
      async handle(ctx, m) {
        const { repository, tag } = await tagRequest(ctx, m, 'read')
        return serveImageArchive(ctx.services, ctx.req, ctx.res, repository, tag)
      },
    }),
  ),
  {
    method: 'GET',
    pattern: new RegExp(`^/api/repositories/${REPO}/digests/(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$`), // manifests pushed by sha512 too
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
      // ?page=&pageSize=: a repository may hold thousands of tags
      const page = positiveIntParam(ctx.url, 'page', 1, MAX_PAGE_NUMBER)
      const pageSize = positiveIntParam(ctx.url, 'pageSize', TAG_PAGE_SIZE, MAX_PAGE_SIZE)
      const tags = await listTags(ctx.services, repository, page, pageSize)
      if (!tags) throw new ApiError(404, 'REPOSITORY_NOT_FOUND', `repository "${repository}" does not exist`)
      sendJson(ctx.res, 200, tags)
    },
  },
  tagRoute('GET', 'pull', 'read', async (ctx, { repository, tag }) => {
    const detail = await getTagDetail(ctx.services, repository, tag)
    if (!detail) throw new ApiError(404, 'TAG_NOT_FOUND', `${repository}:${tag} does not exist`)
    sendJson(ctx.res, 200, detail)
  }),
  tagRoute('DELETE', 'push', 'delete', async (ctx, t) => {
    await limitWrites(ctx, organizationOf(t.repository))
    const digest = await deleteTag(ctx.services, t.repository, t.tag)
    if (!digest) throw new ApiError(404, 'TAG_NOT_FOUND', `${t.repository}:${t.tag} does not exist`)
    await auditTag(ctx, t, 'tag.delete', { digest })
    ctx.res.writeHead(204).end()
  }),
  tagRoute('PUT', 'push', 'write', async (ctx, t) => {
    await limitWrites(ctx, organizationOf(t.repository))
    const moved = await pointTag(ctx, t.repository, t.tag)
    await auditTag(ctx, t, 'tag.set', { digest: moved.digest, previousDigest: moved.previousDigest })
    sendJson(ctx.res, 200, moved)
  }),
  ...manifestRoutes,
]

type TagRequest = { repository: string; tag: string; actor: Principal }

/** The tag routes' common start: the decoded names, and the caller allowed to `action` the repository. */
async function tagRequest(ctx: ApiCtx, m: RegExpExecArray, action: Action): Promise<TagRequest> {
  const repository = name(m[1])
  const tag = decodePathSegment(m[2], 'tag')
  const actor = await allow(ctx, action, { kind: 'repository', name: repository })
  return { repository, tag, actor }
}

/** GET, PUT or DELETE /api/repositories/{name}/tags/{tag}. */
function tagRoute(method: string, audience: Audience, action: Action, handle: (ctx: ApiCtx, t: TagRequest) => Promise<void>): ApiRoute {
  return {
    method,
    pattern: new RegExp(`^/api/repositories/${REPO}/tags/([^/]+)$`),
    sample: '/api/repositories/REPO/tags/v1',
    audience,
    handle: async (ctx, m) => handle(ctx, await tagRequest(ctx, m, action)),
  }
}

/** A tag changed through the console, in the audit log in its caller's name. */
function auditTag(ctx: ApiCtx, t: TagRequest, action: 'tag.set' | 'tag.delete', detail: Record<string, unknown>) {
  return recordAudit(ctx.services, ctx.req, { action, actor: t.actor, organization: organizationOf(t.repository), target: `${t.repository}:${t.tag}`, detail: { via: 'console', ...detail } })
}

/**
 * POST /api/uploads[?organization=][&repository=][&tag=][&dryRun=true]. Who may write where is decided
 * for every name the archive ends up with (lib/accounts/push-targets.ts), before anything is committed;
 * a target known from the query is checked before the body is read.
 */
async function upload(ctx: ApiCtx) {
  const { req, res, url, services } = ctx
  const dryRun = url.searchParams.get('dryRun') === 'true' // reads and answers, stores nothing (lib/archive/dry-run.ts)
  const target: UploadTarget = {
    organization: url.searchParams.get('organization')?.trim() || null,
    repository: url.searchParams.get('repository')?.trim() || null,
    tag: url.searchParams.get('tag'),
    filename: url.searchParams.get('filename') ?? (req.headers['x-filename'] as string | undefined) ?? null,
    dryRun,
  }
  const opened = await openArchiveUpload(ctx, target)
  try {
    await runUploadExchange(req, res, services.http, opened.run, dryRun ? 200 : 201)
  } catch (e) {
    opened.audit.failed(e)
    throw e
  } finally {
    await opened.audit.record()
  }
}

export type UploadTarget = { organization: string | null; repository: string | null; tag: string | null; filename: string | null; dryRun: boolean }

/**
 * The checks of an archive upload that need no body (signed in, a known target may be pushed to, one
 * write of the rate limit) and the import to run on its body, audited. Shared by POST /api/uploads and
 * the resumable (tus) uploads, whose body arrives over many requests. A refusal here is audited at once.
 */
export async function openArchiveUpload(ctx: ApiCtx, target: UploadTarget) {
  const { req, services } = ctx
  const { organization, repository, tag, dryRun } = target
  const principal = await allow(ctx, 'read', { kind: 'server' }) // signed in; the targets are decided below
  const audit = new UploadAudit(services, req, principal, organization, dryRun)
  const known = organization && repository ? placeInOrganization(organization, repository) : (repository ?? organization)
  try {
    if (organization) {
      const problem = organizationNameProblem(organization)
      if (problem) throw new ApiError(400, 'NAME_INVALID', problem)
    }
    if (known) {
      const refusal = await pushRefusal(services, principal, [known], { create: false })
      if (refusal) throw new ApiError(refusal.status, refusal.code, refusal.message)
      // one write of the organization's budget, spent before the body is read
      await limitWrites(ctx, organizationOf(known))
    }
  } catch (e) {
    audit.failed(e)
    await audit.record()
    throw e
  }
  const created: string[] = []
  const authorizeNames = async (names: ImageName[]) => {
    audit.targets = names
    const refusal = await pushRefusal(services, principal, names.map((n) => n.repository), { create: !dryRun, created })
    for (const org of created.splice(0)) await recordAudit(services, req, { action: 'organization.create', actor: principal, organization: org, target: org, detail: { by: 'upload' } })
    if (refusal) throw new ImportError(refusal.code === 'NAME_INVALID' ? 'NAME_INVALID' : 'DENIED', refusal.message, refusal.status)
  }
  const run = async (body: Readable, signal: AbortSignal, hooks?: ImportHooks): Promise<ImportResult | DryRunResult> => {
    try {
      // cheap before the archive is read: a new repository or tag the quotas have no room for
      if (repository) await enforceQuotas(services.db, { tags: [{ repository: known!, tag: tag?.trim() || null }], blobs: [] }).catch(quotaAsImportError)
      const request = { body, filename: target.filename, repository, tag, organization, authorizeNames, signal, ...hooks }
      const result = await (dryRun ? dryRunUpload : importArchive)(services, request)
      audit.succeeded(result)
      return result
    } catch (e) {
      audit.failed(e) // answered by the caller
      throw e
    }
  }
  return { principal, audit, run }
}

function quotaAsImportError(e: unknown): never {
  throw isQuotaExceeded(e) ? quotaImportError(e) : e
}
