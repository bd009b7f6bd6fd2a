// GET /v2/<name>/tags/list and GET /v2/_catalog, paginated with n/last and a Link to the next page.
import type { Ctx } from './context'
import { OciError } from './errors'
import { sendJsonDocument } from './http'
import { nextLink, pageOfNames, parsePage, MAX_PAGE } from './pagination'
import { isPostgres } from '../registry/bulk-sql'
import { findRepositoryId } from './blob-links'
import { principalOf } from '../auth/authenticate'
import { visibleScope, visibleRepositorySql } from '../auth/visibility'
import { Prisma } from '../db/generated/sqlite/client'

export async function listTags(ctx: Ctx, name: string) {
  const { db } = ctx.services
  const repositoryId = await findRepositoryId(ctx.services, name)
  if (repositoryId === null) throw new OciError('NAME_UNKNOWN', `repository "${name}" does not exist`, { detail: { name } })
  const page = parsePage(ctx.url)
  // paged in the database (the primary key (repositoryId, name) walks the names in order), `last` as a keyset
  const { items, more } = await pageOfNames(page, null, (after, limit) => {
    const name = byteOrder(db, Prisma.raw('t.name'))
    return db.$queryRaw<{ name: string }[]>`
      SELECT t.name FROM "Tag" t WHERE t."repositoryId" = ${repositoryId} ${after === null ? Prisma.empty : Prisma.sql`AND ${name} > ${after}`}
      ORDER BY ${name} ${limit === null ? Prisma.empty : Prisma.sql`LIMIT ${limit}`}`
  })
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

/** The listed repositories the caller may see (lib/auth/visibility.ts), filtered and paged by the database. */
export async function listCatalog(ctx: Ctx) {
  const page = parsePage(ctx.url)
  const { db } = ctx.services
  const scope = await visibleScope(ctx.services, await principalOf(ctx.services, ctx.req))
  const visible = await visibleRepositorySql(db, scope, Prisma.raw('r.name'), Prisma.raw('r.public'))
  const name = byteOrder(db, Prisma.raw('r.name'))
  // LISTED_REPOSITORY in SQL: at least one manifest
  const { items, more } = await pageOfNames(page, MAX_PAGE, (after, limit) =>
    db.$queryRaw<{ name: string }[]>`
      SELECT r.name FROM "Repository" r
      WHERE EXISTS (SELECT 1 FROM "Manifest" m WHERE m."repositoryId" = r.id LIMIT 1)
        AND ${visible} ${after === null ? Prisma.empty : Prisma.sql`AND ${name} > ${after}`}
      ORDER BY ${name} LIMIT ${limit ?? MAX_PAGE + 1}`,
  )
  sendJsonDocument(ctx.req, ctx.res, { repositories: items }, more ? { Link: nextLink('/v2/_catalog', page.n ?? MAX_PAGE, items[items.length - 1]) } : {})
}

/**
 * The OCI "lexical" order is byte order: SQLite compares text that way; PostgreSQL by the database's
 * collation, which may not be (a language collation ignores "/" and "-"), so there the order is C.
 */
function byteOrder(db: Ctx['services']['db'], column: Prisma.Sql) {
  return isPostgres(db) ? Prisma.sql`${column} COLLATE "C"` : column
}
