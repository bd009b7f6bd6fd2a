// Candidate queries: what garbage collection would delete, in batches of at most BATCH rows, keyset
// paginated (a skipped row never comes back in the same pass). A dry run reads exactly these; a real run
// re-checks each candidate under its row lock before deleting it (delete-rows.ts).
import type { Services } from '../services'
import { Prisma } from '../db/generated/sqlite/client'
import { BATCH, yieldToEventLoop } from '../registry/bulk-sql'
import { candidateQuery, deadBlobCondition, liveLinkCondition, liveManifestsCte } from './gc-sql'

type Db = Services['db']
const sql = Prisma.sql

export type ManifestCandidate = { id: number; repositoryId: number; repository: string; digest: string }
export type LinkCandidate = { repositoryId: number; repository: string; digest: string }
export type BlobCandidate = { digest: string; objectKey: string; size: number; repository: string | null }
export type RepositoryCandidate = { id: number; name: string }

const num = (v: unknown) => Number(v)

/** Manifests outside the live closure. */
export async function* deadManifests(db: Db, cutoff: Date): AsyncGenerator<ManifestCandidate[]> {
  let after = 0
  for (;;) {
    const rows = await candidateQuery(db, (db) => db.$queryRaw<{ id: unknown; repositoryId: unknown; repository: string; digest: string }[]>`
      ${liveManifestsCte(db, cutoff)}
      SELECT m.id, m."repositoryId" AS "repositoryId", r.name AS repository, m.digest FROM "Manifest" m
        JOIN "Repository" r ON r.id = m."repositoryId"
      WHERE m.id > ${after} AND m.id NOT IN (SELECT id FROM live)
      ORDER BY m.id LIMIT ${BATCH}`)
    if (!rows.length) return
    yield rows.map((r) => ({ id: num(r.id), repositoryId: num(r.repositoryId), repository: r.repository, digest: r.digest }))
    after = num(rows[rows.length - 1].id)
    await yieldToEventLoop()
  }
}

/** Links no live manifest of their repository references, untouched for the grace. */
export async function* deadLinks(db: Db, cutoff: Date): AsyncGenerator<LinkCandidate[]> {
  let afterRepo = 0
  let afterDigest = ''
  for (;;) {
    const rows = await candidateQuery(db, (db) => db.$queryRaw<{ repositoryId: unknown; repository: string; digest: string }[]>`
      ${liveManifestsCte(db, cutoff)}
      SELECT rb."repositoryId" AS "repositoryId", r.name AS repository, rb.digest FROM "RepositoryBlob" rb
        JOIN "Repository" r ON r.id = rb."repositoryId"
      WHERE rb."repositoryId" >= ${afterRepo} AND (rb."repositoryId" > ${afterRepo} OR rb.digest > ${afterDigest})
        AND NOT ${liveLinkCondition(db, cutoff, 'rb')}
      ORDER BY rb."repositoryId", rb.digest LIMIT ${BATCH}`)
    if (!rows.length) return
    yield rows.map((r) => ({ repositoryId: num(r.repositoryId), repository: r.repository, digest: r.digest }))
    const last = rows[rows.length - 1]
    afterRepo = num(last.repositoryId)
    afterDigest = last.digest
    await yieldToEventLoop()
  }
}

/** Blobs nothing live needs; `repository` names the repository (lowest id) that still links it (dry run), for the per-repository result. */
export async function* deadBlobs(db: Db, cutoff: Date): AsyncGenerator<BlobCandidate[]> {
  let after = ''
  for (;;) {
    const rows = await candidateQuery(db, (db) => db.$queryRaw<{ digest: string; objectKey: string; size: unknown; repository: string | null }[]>`
      ${liveManifestsCte(db, cutoff)}
      SELECT b.digest, b."objectKey" AS "objectKey", b.size,
        (SELECT r.name FROM "RepositoryBlob" rb JOIN "Repository" r ON r.id = rb."repositoryId" WHERE rb.digest = b.digest ORDER BY rb."repositoryId" LIMIT 1) AS repository
      FROM "Blob" b
      WHERE b.digest > ${after} AND ${deadBlobCondition(db, cutoff)}
      ORDER BY b.digest LIMIT ${BATCH}`)
    if (!rows.length) return
    yield rows.map((r) => ({ digest: r.digest, objectKey: r.objectKey, size: num(r.size), repository: r.repository }))
    after = rows[rows.length - 1].digest
    await yieldToEventLoop()
  }
}

/** Count and bytes of the dead blobs, in one statement (the storage page's reclaimable estimate). */
export async function deadBlobTotals(db: Db, cutoff: Date): Promise<{ blobs: number; bytes: number }> {
  const [row] = await candidateQuery(db, (db) => db.$queryRaw<{ blobs: unknown; bytes: unknown }[]>`
    ${liveManifestsCte(db, cutoff)}
    SELECT COUNT(*) AS blobs, COALESCE(SUM(b.size), 0) AS bytes FROM "Blob" b WHERE ${deadBlobCondition(db, cutoff)}`)
  return { blobs: num(row?.blobs ?? 0), bytes: num(row?.bytes ?? 0) }
}

/** Repositories that hold (or, once the dead rows are gone, will hold) no manifest, no link and no tag. */
export async function* emptyRepositories(db: Db, cutoff: Date): AsyncGenerator<RepositoryCandidate[]> {
  let after = 0
  for (;;) {
    const rows = await candidateQuery(db, (db) => db.$queryRaw<{ id: unknown; name: string }[]>`
      ${liveManifestsCte(db, cutoff)}
      SELECT r.id, r.name FROM "Repository" r
      WHERE r.id > ${after}
        AND NOT EXISTS (SELECT 1 FROM "Manifest" m WHERE m."repositoryId" = r.id AND m.id IN (SELECT id FROM live))
        AND NOT EXISTS (SELECT 1 FROM "Tag" t WHERE t."repositoryId" = r.id)
        AND NOT EXISTS (SELECT 1 FROM "RepositoryBlob" rb WHERE rb."repositoryId" = r.id AND ${liveLinkCondition(db, cutoff, 'rb')})
      ORDER BY r.id LIMIT ${BATCH}`)
    if (!rows.length) return
    yield rows.map((r) => ({ id: num(r.id), name: r.name }))
    after = num(rows[rows.length - 1].id)
    await yieldToEventLoop()
  }
}

