// SQL pieces shared by garbage collection's candidate queries (candidates.ts) and the storage estimate
// (storage-usage.ts). Written once for SQLite and PostgreSQL.
//
// Reachability is a closure: a manifest is a root when a tag points at it or it is younger than the
// grace; the children an index lists (ManifestChild) and the referrers of a live subject are live too.
// Every candidate query is "not in the closure", so a dry run sees the cascade a real run would cause
// (an index that goes takes its untagged children with it, their layers then lose their last reference)
// without deleting anything, and a real run gets the same answer at every step.
import type { Services } from '../services'
import { Prisma } from '../db/generated/sqlite/client'
import { isPostgres } from '../registry/bulk-sql'

type Db = Services['db']
const raw = Prisma.raw
const sql = Prisma.sql

/**
 * `column > at` / `column <= at` over timestamps ("younger than the grace" is strict: with a grace of 0 nothing
 * written before the run started is young, even within the same millisecond). SQLite stores them as text in two shapes (Prisma's
 * "2026-01-31T10:00:00.000+00:00", a SQL default's "2026-01-31 10:00:00") that do not compare as text,
 * so there both sides go through julianday(). PostgreSQL columns are timestamp(3) holding UTC.
 */
export function timeCompare(db: Db) {
  const pg = isPostgres(db)
  const bound = (at: Date) => (pg ? sql`CAST(${at.toISOString().replace('T', ' ').replace('Z', '')} AS timestamp(3))` : sql`julianday(${at.toISOString()})`)
  const col = (column: string) => (pg ? raw(column) : raw(`julianday(${column})`))
  return {
    after: (column: string, at: Date) => sql`${col(column)} > ${bound(at)}`,
    atOrBefore: (column: string, at: Date) => sql`${col(column)} <= ${bound(at)}`,
  }
}

/**
 * The repositories one closure is computed for, as a condition on a repository id column. Every edge of
 * the closure stays inside one repository (an index lists manifests of its own repository, a referrer's
 * subject is looked up in the referrer's repository, tag history is per repository), so the closure of a
 * set of repositories is exactly the whole closure restricted to them: a candidate query can look at a
 * bounded slice of the catalog instead of recomputing the live set of all of it (issue 12: on SQLite,
 * whose driver is synchronous, that blocked the event loop for up to 41 s at 10,000 repositories).
 */
export type RepositoryScope = (column: string) => Prisma.Sql

/** Repository ids in (after, upTo]; upTo null: every id above `after`. */
export const repositoryRange =
  (after: number, upTo: number | null): RepositoryScope =>
  (column) =>
    upTo === null ? sql`${raw(column)} > ${after}` : sql`${raw(column)} > ${after} AND ${raw(column)} <= ${upTo}`

/** A manifest (alias `m`) is a root of the closure: tagged, younger than the grace, or a tag that ever pointed at it changed within the grace. */
export function rootManifestCondition(db: Db, cutoff: Date, m: string): Prisma.Sql {
  const t = timeCompare(db)
  return sql`(EXISTS (SELECT 1 FROM "Tag" t WHERE t."manifestId" = ${raw(`${m}.id`)})
         OR ${t.after(`${m}."createdAt"`, cutoff)}
         OR EXISTS (
           SELECT 1 FROM "TagEvent" e
             JOIN "TagEvent" c ON c."repositoryId" = e."repositoryId" AND c.tag = e.tag
           WHERE e."repositoryId" = ${raw(`${m}."repositoryId"`)} AND e."manifestDigest" = ${raw(`${m}.digest`)} AND ${t.after('c."createdAt"', cutoff)}))`
}

/**
 * `WITH RECURSIVE [more CTEs,] edges …, live(id)`: the ids of every live manifest of the scope's
 * repositories (one reference to live per recursive term, as PostgreSQL requires). `before`: CTEs the
 * scope refers to, placed first.
 */
export function liveManifestsCte(db: Db, cutoff: Date, scope: RepositoryScope, before?: Prisma.Sql): Prisma.Sql {
  return sql`WITH RECURSIVE ${before ? sql`${before},` : sql``} edges(pid, cid) AS (
      SELECT mc."parentId", mc."childId" FROM "Manifest" p JOIN "ManifestChild" mc ON mc."parentId" = p.id WHERE ${scope('p."repositoryId"')}
      UNION ALL
      SELECT s.id, r.id FROM "Manifest" r
        JOIN "Manifest" s ON s."repositoryId" = r."repositoryId" AND s.digest = r."subjectDigest"
      WHERE r."subjectDigest" IS NOT NULL AND ${scope('r."repositoryId"')}
    ), live(id) AS (
      SELECT m.id FROM "Manifest" m
      WHERE ${scope('m."repositoryId"')} AND ${rootManifestCondition(db, cutoff, 'm')}
      UNION
      SELECT e.cid FROM edges e JOIN live l ON e.pid = l.id
    )`
}

/**
 * Some manifest referencing the blob (alias `b`) is live for a reason found without the closure: it is a
 * root, or an index listing it or its subject is. Most blobs are kept by this (tagged images, the
 * platform images of a tagged index, a tagged image's signatures), so the closure is only computed for
 * the repositories of the rest. Only ever proves a blob live, never dead.
 */
export function blobPlainlyLive(db: Db, cutoff: Date): Prisma.Sql {
  return sql`EXISTS (
      SELECT 1 FROM "ManifestBlob" pmb JOIN "Manifest" pm ON pm.id = pmb."manifestId"
      WHERE pmb.digest = b.digest AND (${rootManifestCondition(db, cutoff, 'pm')}
        OR EXISTS (SELECT 1 FROM "ManifestChild" pmc JOIN "Manifest" pp ON pp.id = pmc."parentId" WHERE pmc."childId" = pm.id AND ${rootManifestCondition(db, cutoff, 'pp')})
        OR EXISTS (SELECT 1 FROM "Manifest" ps WHERE pm."subjectDigest" IS NOT NULL AND ps."repositoryId" = pm."repositoryId" AND ps.digest = pm."subjectDigest" AND ${rootManifestCondition(db, cutoff, 'ps')})))`
}

/** A link (alias `rb`) is live: touched within the grace, or a live manifest of its repository references the digest. */
export function liveLinkCondition(db: Db, cutoff: Date, rb: string): Prisma.Sql {
  const t = timeCompare(db)
  return sql`(${t.after(`${rb}."touchedAt"`, cutoff)} OR EXISTS (
      SELECT 1 FROM "ManifestBlob" lmb JOIN "Manifest" lm ON lm.id = lmb."manifestId"
      WHERE lm."repositoryId" = ${raw(`${rb}."repositoryId"`)} AND lmb.digest = ${raw(`${rb}.digest`)} AND lm.id IN (SELECT id FROM live)))`
}

/** A blob (alias `b`) is dead: older than the grace, no live link, no live manifest referencing it. Needs liveManifestsCte over every repository referencing or linking it. */
export function deadBlobCondition(db: Db, cutoff: Date): Prisma.Sql {
  const t = timeCompare(db)
  return sql`${t.atOrBefore('b."createdAt"', cutoff)}
    AND NOT EXISTS (SELECT 1 FROM "RepositoryBlob" rb WHERE rb.digest = b.digest AND ${liveLinkCondition(db, cutoff, 'rb')})
    AND NOT EXISTS (SELECT 1 FROM "ManifestBlob" mb WHERE mb.digest = b.digest AND mb."manifestId" IN (SELECT id FROM live))`
}

/**
 * Runs one candidate query. On PostgreSQL it runs with JIT compilation off: the recursive closure's
 * cost estimate (tables without statistics look large) crosses jit_above_cost, and compiling the plan
 * then took ~1.5 s per query for a statement that runs in milliseconds.
 */
export async function candidateQuery<T>(db: Db, query: (db: Db) => Promise<T>): Promise<T> {
  if (!isPostgres(db)) return query(db)
  // a read that does not block the process (the driver is asynchronous): Prisma's default 5 s transaction
  // timeout failed the whole blobs step on a loaded machine at 10,000 repositories
  return db.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe('SET LOCAL jit = off')
      return query(tx as Db)
    },
    { timeout: 120_000, maxWait: 30_000 },
  )
}

