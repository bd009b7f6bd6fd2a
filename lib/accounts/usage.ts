// What an organization stores: its repositories (those holding at least one manifest; a push that has
// only sent blobs so far does not count yet), its tags, and its bytes: the uncompressed size of every
// distinct blob linked to any of its repositories, each digest counted once however many repositories
// share it (the size as stored while a pushed layer's uncompressed size is not measured yet).
import type { Db } from '../db/client'
import { Prisma } from '../db/generated/sqlite/client'
import { organizationRepositorySql } from '../auth/visibility'

export type OrganizationUsage = { repositories: number; tags: number; bytes: number }

// repositories that hold at least one manifest (see above): the same rule for usage and the list
const countedRepositories = (where: Prisma.Sql) => Prisma.sql`SELECT COUNT(*) FROM "Repository" r WHERE ${where} AND EXISTS (SELECT 1 FROM "Manifest" m WHERE m."repositoryId" = r.id)`

export async function organizationUsage(db: Db, organization: string): Promise<OrganizationUsage> {
  const where = await organizationRepositorySql(db, organization, Prisma.raw('r.name'))
  const [row] = await db.$queryRaw<{ repositories: bigint | number; tags: bigint | number; bytes: bigint | number | null }[]>`
    SELECT
      (${countedRepositories(where)}) AS repositories,
      (SELECT COUNT(*) FROM "Tag" t JOIN "Repository" r ON r.id = t."repositoryId" WHERE ${where}) AS tags,
      (SELECT CAST(COALESCE(SUM(COALESCE(b."uncompressedSize", b.size)), 0) AS BIGINT) FROM "Blob" b
        WHERE b.digest IN (SELECT rb.digest FROM "RepositoryBlob" rb JOIN "Repository" r ON r.id = rb."repositoryId" WHERE ${where})) AS bytes`
  return { repositories: Number(row.repositories), tags: Number(row.tags), bytes: Number(row.bytes ?? 0) }
}

/** How many repositories the organization has (the organization list's column), without summing its bytes. */
export async function repositoryCount(db: Db, organization: string): Promise<number> {
  const where = await organizationRepositorySql(db, organization, Prisma.raw('r.name'))
  const [row] = await db.$queryRaw<{ n: bigint | number }[]>`SELECT (${countedRepositories(where)}) AS n`
  return Number(row.n)
}
