// GET /v2/<name>/tags/list and GET /v2/_catalog, paginated with n/last and a Link to the next page.
import type { Ctx } from './context'
import { OciError } from './errors'
import { sendJsonDocument } from './http'
import { byCodePoint, nextLink, paginate, parsePage, MAX_PAGE } from './pagination'
import { findRepositoryId } from './blob-links'
import { principalOf } from '../auth/authenticate'
import { visibleScope, visibleRepositorySql } from '../auth/visibility'
import { Prisma } from '../db/generated/sqlite/client'

export async function listTags(ctx: Ctx, name: string) {
  const repositoryId = await findRepositoryId(ctx.services, name)
  if (repositoryId === null) throw new OciError('NAME_UNKNOWN', `repository "${name}" does not exist`, { detail: { name } })
  const page = parsePage(ctx.url)
  // Sorted here, not by the database: PostgreSQL's collation is not the code-point order the spec means.
  const rows = await ctx.services.db.tag.findMany({ where: { repositoryId }, select: { name: true } })
  const { items, more } = paginate(rows.map((r) => r.name).sort(byCodePoint), page, null)
  const path = `/v2/${name}/tags/list`
  sendJsonDocument(ctx.req, ctx.res, { name, tags: items }, more ? { Link: nextLink(path, page.n ?? items.length, items[items.length - 1]) } : {})
}

/**
 * The one rule for which repositories are listed, here and in the console's repository list
 * (listRepositories in lib/registry/queries.ts): a repository is listed while it holds at least one
 * manifest (tagged or not: what is there to pull, by tag or by digest). Deleting its last manifest, or
 * garbage collection taking its last untagged one, drops it from both lists.
 */
export const LISTED_REPOSITORY = { manifests: { some: {} } } as const

/** The listed repositories the caller may see (lib/auth/visibility.ts), filtered by the database. */
export async function listCatalog(ctx: Ctx) {
  const page = parsePage(ctx.url)
  const { db } = ctx.services
  const scope = await visibleScope(ctx.services, await principalOf(ctx.services, ctx.req))
  // LISTED_REPOSITORY in SQL: at least one manifest
  const rows = await db.$queryRaw<{ name: string }[]>`
    SELECT r.name FROM "Repository" r
    WHERE EXISTS (SELECT 1 FROM "Manifest" m WHERE m."repositoryId" = r.id)
      AND ${await visibleRepositorySql(db, scope, Prisma.raw('r.name'), Prisma.raw('r.public'))}`
  const { items, more } = paginate(rows.map((r) => r.name).sort(byCodePoint), page, MAX_PAGE)
  sendJsonDocument(ctx.req, ctx.res, { repositories: items }, more ? { Link: nextLink('/v2/_catalog', page.n ?? MAX_PAGE, items[items.length - 1]) } : {})
}
