// Which repositories a caller may see in listings (console list and search, /v2/_catalog). Listings are
// filtered in the database, so a page holds only visible rows and pagination, totals and Link headers
// stay right. The rule mirrors policy.ts: administrators (and the tests' open access) see everything;
// everyone else sees the organizations they are a member of (an access token: only its organization)
// plus every public repository.
import type { Services } from '../services'
import type { Principal } from './principal'
import { Prisma } from '../db/generated/sqlite/client'
import { isPostgres } from '../registry/bulk-sql'

export type VisibleScope = { all: true } | { organizations: string[] }

export const EVERYTHING: VisibleScope = { all: true }

export async function visibleScope(services: Services, principal: Principal): Promise<VisibleScope> {
  if (principal.kind === 'anonymous') return { organizations: [] }
  const tokenOrg = principal.token?.organizationId ?? null
  if (principal.admin && tokenOrg === null) return EVERYTHING
  if (principal.admin) {
    const org = await services.db.organization.findUnique({ where: { id: tokenOrg! }, select: { name: true } })
    return { organizations: org ? [org.name] : [] }
  }
  const rows = await services.db.membership.findMany({
    where: { userId: principal.id, ...(tokenOrg !== null ? { organizationId: tokenOrg } : {}) },
    select: { organization: { select: { name: true } } },
  })
  return { organizations: rows.map((r) => r.organization.name).sort() }
}

/**
 * SQL condition on a repository name column (e.g. `r.name`): the repository is in one of the scope's
 * organizations, or public. An organization's repositories are the name itself and the range
 * ["org/", "org0") ('0' follows '/'), which a b-tree index on the name answers. PostgreSQL compares
 * in code-point order only with COLLATE "C" (a language collation may ignore the "/").
 */
export function visibleRepositorySql(db: Services['db'], scope: VisibleScope, nameColumn: Prisma.Sql, publicColumn: Prisma.Sql): Prisma.Sql {
  if ('all' in scope) return Prisma.sql`1 = 1`
  const inOrg = scope.organizations.map((org) => organizationRepositorySql(db, org, nameColumn))
  return Prisma.sql`(${Prisma.join([Prisma.sql`${publicColumn} = TRUE`, ...inOrg], ' OR ')})`
}

/** SQL condition: the repository named by `nameColumn` belongs to `organization`. */
export function organizationRepositorySql(db: Services['db'], organization: string, nameColumn: Prisma.Sql): Prisma.Sql {
  const [lo, hi] = [organization + '/', organization + '0']
  return isPostgres(db)
    ? Prisma.sql`(${nameColumn} = ${organization} OR (${nameColumn} COLLATE "C" >= ${lo} AND ${nameColumn} COLLATE "C" < ${hi}))`
    : Prisma.sql`(${nameColumn} = ${organization} OR (${nameColumn} >= ${lo} AND ${nameColumn} < ${hi}))`
}
