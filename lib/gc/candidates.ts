// Candidate queries: what garbage collection would delete. Each query looks at one bounded slice of the
// catalog, a key range of about `batchRows` rows (a range of repository ids for manifests, links and
// repositories; of blob digests for blobs), and the event loop gets a turn between slices: on SQLite a
// query blocks the process while it runs, so none may grow with the catalog. A dry run reads exactly
// these; a real run re-checks each candidate under its row lock before deleting it (delete-rows.ts).
import type { Services } from '../services'
import { Prisma } from '../db/generated/sqlite/client'
import { defaultLifecycle } from '../lifecycle/settings'
import { BATCH, chunks, yieldToEventLoop } from '../registry/bulk-sql'
import { blobPlainlyLive, candidateQuery, deadBlobCondition, liveLinkCondition, liveManifestsCte, repositoryRange, timeCompare, type RepositoryScope } from './gc-sql'

type Db = Services['db']
const sql = Prisma.sql
const raw = Prisma.raw

export type ManifestCandidate = { id: number; repositoryId: number; repository: string; digest: string }
export type LinkCandidate = { repositoryId: number; repository: string; digest: string }
export type BlobCandidate = { digest: string; objectKey: string; size: number; repository: string | null }
export type RepositoryCandidate = { id: number; name: string }

/** How many rows of each table one candidate query looks at (about: a repository is never split). */
const DEFAULT_GC_BATCH_ROWS = defaultLifecycle.gcBatchRows
export type CandidateOptions = { batchRows?: number }

const num = (v: unknown) => Number(v)

/** The key of the `n`th row of `table` after `after` in `column`'s order, or null when there are fewer. */
async function nthKeyAfter<K extends number | string>(db: Db, table: string, column: string, after: K, n: number): Promise<K | null> {
  const rows = await db.$queryRaw<{ k: unknown }[]>`
    SELECT ${raw(`"${column}"`)} AS k FROM ${raw(`"${table}"`)} WHERE ${raw(`"${column}"`)} > ${after} ORDER BY ${raw(`"${column}"`)} LIMIT 1 OFFSET ${n - 1}`
  if (!rows.length) return null
  return (typeof after === 'number' ? num(rows[0].k) : String(rows[0].k)) as K
}

/**
 * Consecutive repository id ranges (after, upTo], each holding about `n` repositories, manifests and
 * links at most (plus the rest of its last repository); the last range is open (upTo null).
 */
async function* repositoryRanges(db: Db, n: number): AsyncGenerator<RepositoryScope> {
  for (let after = 0; ; ) {
    const ends = await Promise.all([
      nthKeyAfter(db, 'Repository', 'id', after, n),
      nthKeyAfter(db, 'Manifest', 'repositoryId', after, n),
      nthKeyAfter(db, 'RepositoryBlob', 'repositoryId', after, n),
    ])
    const known = ends.filter((e): e is number => e !== null)
    const upTo = known.length ? Math.min(...known) : null
    yield repositoryRange(after, upTo)
    if (upTo === null) return
    after = upTo
    await yieldToEventLoop()
  }
}

/** Manifests outside the live closure. */
export async function* deadManifests(db: Db, cutoff: Date, opts: CandidateOptions = {}): AsyncGenerator<ManifestCandidate[]> {
  for await (const scope of repositoryRanges(db, opts.batchRows ?? DEFAULT_GC_BATCH_ROWS)) {
    const rows = await candidateQuery(db, (db) => db.$queryRaw<{ id: unknown; repositoryId: unknown; repository: string; digest: string }[]>`
      ${liveManifestsCte(db, cutoff, scope)}
      SELECT m.id, m."repositoryId" AS "repositoryId", r.name AS repository, m.digest FROM "Manifest" m
        JOIN "Repository" r ON r.id = m."repositoryId"
      WHERE ${scope('m."repositoryId"')} AND m.id NOT IN (SELECT id FROM live)
      ORDER BY m.id`)
    for (const part of chunks(rows)) yield part.map((r) => ({ id: num(r.id), repositoryId: num(r.repositoryId), repository: r.repository, digest: r.digest }))
  }
}

/** Links no live manifest of their repository references, untouched for the grace. */
export async function* deadLinks(db: Db, cutoff: Date, opts: CandidateOptions = {}): AsyncGenerator<LinkCandidate[]> {
  for await (const scope of repositoryRanges(db, opts.batchRows ?? DEFAULT_GC_BATCH_ROWS)) {
    const rows = await candidateQuery(db, (db) => db.$queryRaw<{ repositoryId: unknown; repository: string; digest: string }[]>`
      ${liveManifestsCte(db, cutoff, scope)}
      SELECT rb."repositoryId" AS "repositoryId", r.name AS repository, rb.digest FROM "RepositoryBlob" rb
        JOIN "Repository" r ON r.id = rb."repositoryId"
      WHERE ${scope('rb."repositoryId"')} AND NOT ${liveLinkCondition(db, cutoff, 'rb')}
      ORDER BY rb."repositoryId", rb.digest`)
    for (const part of chunks(rows)) yield part.map((r) => ({ repositoryId: num(r.repositoryId), repository: r.repository, digest: r.digest }))
  }
}

/**
 * Blobs nothing live needs, by digest range; `repository` names the repository (lowest id) that still
 * links it (dry run), for the per-repository result. The closure is computed only over the repositories
 * of manifests referencing a blob of the range that is not plainly live (gc-sql.ts blobPlainlyLive).
 */
export async function* deadBlobs(db: Db, cutoff: Date, opts: CandidateOptions = {}): AsyncGenerator<BlobCandidate[]> {
  const t = timeCompare(db)
  const n = opts.batchRows ?? DEFAULT_GC_BATCH_ROWS
  for (let after = ''; ; ) {
    const upTo = await nthKeyAfter(db, 'Blob', 'digest', after, n)
    const inRange = upTo === null ? sql`b.digest > ${after}` : sql`b.digest > ${after} AND b.digest <= ${upTo}`
    // the blobs of the range no manifest plainly keeps, then the repositories of their referencing manifests
    const scopeCtes = sql`unsure(digest) AS MATERIALIZED (
        SELECT b.digest FROM "Blob" b WHERE ${inRange} AND ${t.atOrBefore('b."createdAt"', cutoff)} AND NOT ${blobPlainlyLive(db, cutoff)}
      ), unsure_repositories(rid) AS MATERIALIZED (
        SELECT DISTINCT sm."repositoryId" FROM unsure u JOIN "ManifestBlob" smb ON smb.digest = u.digest JOIN "Manifest" sm ON sm.id = smb."manifestId"
      )`
    const scope: RepositoryScope = (column) => sql`${raw(column)} IN (SELECT rid FROM unsure_repositories)`
    const rows = await candidateQuery(db, (db) => db.$queryRaw<{ digest: string; objectKey: string; size: unknown; repository: string | null }[]>`
      ${liveManifestsCte(db, cutoff, scope, scopeCtes)}
      SELECT b.digest, b."objectKey" AS "objectKey", b.size,
        (SELECT r.name FROM "RepositoryBlob" rb JOIN "Repository" r ON r.id = rb."repositoryId" WHERE rb.digest = b.digest ORDER BY rb."repositoryId" LIMIT 1) AS repository
      FROM "Blob" b
      WHERE b.digest IN (SELECT digest FROM unsure) AND ${deadBlobCondition(db, cutoff)}
      ORDER BY b.digest`)
    for (const part of chunks(rows)) yield part.map((r) => ({ digest: r.digest, objectKey: r.objectKey, size: num(r.size), repository: r.repository }))
    if (upTo === null) return
    after = upTo
    await yieldToEventLoop()
  }
}

/** Count and bytes of the dead blobs (the storage page's reclaimable estimate), range by range. */
export async function deadBlobTotals(db: Db, cutoff: Date, opts: CandidateOptions = {}): Promise<{ blobs: number; bytes: number }> {
  const totals = { blobs: 0, bytes: 0 }
  for await (const batch of deadBlobs(db, cutoff, opts)) {
    totals.blobs += batch.length
    for (const b of batch) totals.bytes += b.size
  }
  return totals
}

/** Repositories that hold (or, once the dead rows are gone, will hold) no manifest, no link and no tag. */
export async function* emptyRepositories(db: Db, cutoff: Date, opts: CandidateOptions = {}): AsyncGenerator<RepositoryCandidate[]> {
  for await (const scope of repositoryRanges(db, opts.batchRows ?? DEFAULT_GC_BATCH_ROWS)) {
    const rows = await candidateQuery(db, (db) => db.$queryRaw<{ id: unknown; name: string }[]>`
      ${liveManifestsCte(db, cutoff, scope)}
      SELECT r.id, r.name FROM "Repository" r
      WHERE ${scope('r.id')}
        AND NOT EXISTS (SELECT 1 FROM "Manifest" m WHERE m."repositoryId" = r.id AND m.id IN (SELECT id FROM live))
        AND NOT EXISTS (SELECT 1 FROM "Tag" t WHERE t."repositoryId" = r.id)
        AND NOT EXISTS (SELECT 1 FROM "RepositoryBlob" rb WHERE rb."repositoryId" = r.id AND ${liveLinkCondition(db, cutoff, 'rb')})
      ORDER BY r.id`)
    for (const part of chunks(rows, BATCH)) yield part.map((r) => ({ id: num(r.id), name: r.name }))
  }
}
