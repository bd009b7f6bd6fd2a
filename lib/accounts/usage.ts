// What an organization stores: its repositories (named "org" or "org/…"), their tags, and the bytes of
// the distinct blobs linked to them (a layer shared by two of its repositories counts once). Bytes are
// uncompressed where known (tar imports store layers uncompressed; pushed layers once measured).
// The name range "org/" ≤ name < "org0" ('0' follows '/' in byte order) is what the unique index on
// Repository.name serves; it is exact where names compare bytewise (SQLite; PostgreSQL C collations).
import type { Services } from '../services'

export type OrganizationUsage = { repositories: number; tags: number; bytes: number }

type Row = { repositories: bigint | number; tags: bigint | number; bytes: bigint | number | null }

/** The name range of an organization's repositories below the organization itself. */
export const repositoryRange = (organization: string) => ({ from: `${organization}/`, below: `${organization}0` })

export async function organizationUsage(services: Services, organization: string): Promise<OrganizationUsage> {
  const { from, below } = repositoryRange(organization)
  const [row] = await services.db.$queryRaw<Row[]>`
    WITH repos AS (
      SELECT r.id FROM "Repository" r WHERE r.name = ${organization}
      UNION ALL
      SELECT r.id FROM "Repository" r WHERE r.name >= ${from} AND r.name < ${below}
    )
    SELECT
      (SELECT COUNT(*) FROM repos) AS repositories,
      (SELECT COUNT(*) FROM "Tag" t WHERE t."repositoryId" IN (SELECT id FROM repos)) AS tags,
      (SELECT CAST(COALESCE(SUM(COALESCE(b."uncompressedSize", b.size)), 0) AS BIGINT) FROM "Blob" b
        WHERE b.digest IN (SELECT rb.digest FROM "RepositoryBlob" rb WHERE rb."repositoryId" IN (SELECT id FROM repos))) AS bytes`
  return { repositories: Number(row.repositories), tags: Number(row.tags), bytes: Number(row.bytes ?? 0) }
}

/** How many repositories the organization has (the organization list's column). */
export function repositoryCount(services: Services, organization: string): Promise<number> {
  const { from, below } = repositoryRange(organization)
  return services.db.repository.count({ where: { OR: [{ name: organization }, { name: { gte: from, lt: below } }] } })
}
