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
 * ["org/", "org0") ('0' follows '/'), which a b-tree index on the name answers.
 */
export async function visibleRepositorySql(db: Services['db'], scope: VisibleScope, nameColumn: Prisma.Sql, publicColumn: Prisma.Sql): Promise<Prisma.Sql> {
  if ('all' in scope) return Prisma.sql`1 = 1`
  const inOrg = await Promise.all(scope.organizations.map((org) => organizationRepositorySql(db, org, nameColumn)))
  return Prisma.sql`(${Prisma.join([Prisma.sql`${publicColumn} = TRUE`, ...inOrg], ' OR ')})`
}

/** SQL condition: the repository named by `nameColumn` belongs to `organization`. */
export async function organizationRepositorySql(db: Services['db'], organization: string, nameColumn: Prisma.Sql): Promise<Prisma.Sql> {
  const [lo, hi] = [organization + '/', organization + '0']
  return !(await codePointOrder(db))
    ? Prisma.sql`(${nameColumn} = ${organization} OR (${nameColumn} COLLATE "C" >= ${lo} AND ${nameColumn} COLLATE "C" < ${hi}))`
    : Prisma.sql`(${nameColumn} = ${organization} OR (${nameColumn} >= ${lo} AND ${nameColumn} < ${hi}))`
}

// SQLite compares text byte by byte (code points). A PostgreSQL database compares by its collation:
// C / POSIX / C.UTF-8 are code-point orders (the plain range uses the name index); a language
// collation may ignore the "/", so there the range is compared under COLLATE "C" (correct, but
// without the index: create such databases with a C collation for large registries).
const orderOf = new WeakMap<object, Promise<boolean>>()

function codePointOrder(db: Services['db']): Promise<boolean> {
  if (!isPostgres(db)) return Promise.resolve(true)
  let known = orderOf.get(db)
  if (!known) {
    // to_jsonb: datlocprovider (PostgreSQL 15+) reads as null on older servers instead of failing
    known = db
      .$queryRaw<{ collation: string; provider: string | null }[]>`
        SELECT d.datcollate AS collation, to_jsonb(d) ->> 'datlocprovider' AS provider FROM pg_database d WHERE d.datname = current_database()`
      .then(([row]) => row?.provider === 'b' || ((row?.provider ?? 'c') === 'c' && /^(C|POSIX|C\.UTF-?8)$/i.test(row?.collation ?? '')))
      .catch(() => false)
    orderOf.set(db, known)
  }
  return known
}
