// Per-organization quotas (Organization.quotaRepositories, quotaTagsPerRepository, quotaBytes; null =
// unlimited, all null by default). enforceQuotas runs inside the transaction that makes an upload or
// push visible, before it writes anything, so what it refuses leaves no row behind. Two writers into
// the same organization cannot both pass on the same usage: PostgreSQL locks the organization's row
// (FOR UPDATE) until the transaction ends; SQLite runs one write transaction at a time.
import type { Db } from '../db/client'
import { Prisma } from '../db/generated/sqlite/client'
import { organizationOf } from '../auth/account-names'
import { organizationRepositorySql } from '../auth/visibility'
import { isPostgres, chunks } from '../registry/bulk-sql'
import { organizationUsage } from './usage'

export type QuotaWhat = 'repositories' | 'tagsPerRepository' | 'bytes'

export class QuotaExceeded extends Error {
  constructor(
    readonly organization: string,
    readonly what: QuotaWhat,
    readonly limit: number,
    readonly usage: number,
    /** what the refused write would have added */
    readonly adding: number,
    readonly repository: string | null = null,
  ) {
    super(quotaMessage(organization, what, limit, usage, adding, repository))
    this.name = 'QuotaExceeded'
  }
  get detail() {
    return { organization: this.organization, what: this.what, limit: this.limit, usage: this.usage, adding: this.adding, ...(this.repository ? { repository: this.repository } : {}) }
  }
}

export const isQuotaExceeded = (e: unknown): e is QuotaExceeded => e instanceof QuotaExceeded

function quotaMessage(org: string, what: QuotaWhat, limit: number, usage: number, adding: number, repository: string | null) {
  if (what === 'repositories') return `organization "${org}" may have ${limit} repositories and has ${usage}; this would add ${adding}`
  if (what === 'tagsPerRepository') return `repository "${repository}" of organization "${org}" may have ${limit} tags and has ${usage}; this would add ${adding}`
  return `organization "${org}" may store ${limit} bytes and stores ${usage}; this would add ${adding}`
}

/** What a write adds: tags (null: a manifest without a tag) and blob links, per repository. */
export type QuotaDemand = {
  tags: { repository: string; tag: string | null }[]
  /** size: uncompressed bytes (as stored when not known) */
  blobs: { repository: string; digest: string; size: number }[]
}

type OrgQuotas = { id: number; name: string; quotaRepositories: number | null; quotaTagsPerRepository: number | null; quotaBytes: bigint | null }

const hasQuota = (o: OrgQuotas) => o.quotaRepositories !== null || o.quotaTagsPerRepository !== null || o.quotaBytes !== null

/** Throws QuotaExceeded when the demand would exceed a quota. Call it first in the write's transaction. */
export async function enforceQuotas(tx: Db, demand: QuotaDemand): Promise<void> {
  const orgNames = [...new Set([...demand.tags, ...demand.blobs].map((d) => organizationOf(d.repository)))]
  if (!orgNames.length) return
  const select = { id: true, name: true, quotaRepositories: true, quotaTagsPerRepository: true, quotaBytes: true } as const
  let orgs: OrgQuotas[] = (await tx.organization.findMany({ where: { name: { in: orgNames } }, select })).filter(hasQuota)
  if (!orgs.length) return // quotas are off: no lock, no counting
  if (isPostgres(tx)) {
    const ids = orgs.map((o) => o.id).sort((a, b) => a - b)
    await tx.$queryRaw`SELECT id FROM "Organization" WHERE id IN (${Prisma.join(ids)}) ORDER BY id FOR UPDATE`
    orgs = (await tx.organization.findMany({ where: { id: { in: ids } }, select })).filter(hasQuota) // as of the lock
  }
  for (const org of orgs) await enforceFor(tx, org, demand)
}

async function enforceFor(tx: Db, org: OrgQuotas, demand: QuotaDemand) {
  const mine = (d: { repository: string }) => organizationOf(d.repository) === org.name
  const tags = demand.tags.filter(mine)
  const repositories = [...new Set(tags.map((t) => t.repository))]
  const rows = repositories.length
    ? await tx.repository.findMany({ where: { name: { in: repositories } }, select: { id: true, name: true, _count: { select: { manifests: true, tags: true } } } })
    : []
  const byName = new Map(rows.map((r) => [r.name, r]))
  const usage = await organizationUsage(tx, org.name)

  if (org.quotaRepositories !== null) {
    // a repository counts once it holds a manifest (usage.ts)
    const added = repositories.filter((name) => !byName.get(name)?._count.manifests).length
    if (added && usage.repositories + added > org.quotaRepositories) throw new QuotaExceeded(org.name, 'repositories', org.quotaRepositories, usage.repositories, added)
  }
  if (org.quotaTagsPerRepository !== null) {
    for (const name of repositories) {
      const wanted = [...new Set(tags.filter((t) => t.repository === name && t.tag !== null).map((t) => t.tag!))]
      const row = byName.get(name)
      const existing = row && wanted.length ? await countExisting(tx, row.id, wanted) : 0
      const added = wanted.length - existing
      const have = row?._count.tags ?? 0
      if (added && have + added > org.quotaTagsPerRepository) throw new QuotaExceeded(org.name, 'tagsPerRepository', org.quotaTagsPerRepository, have, added, name)
    }
  }
  if (org.quotaBytes !== null) {
    const sizes = new Map<string, number>()
    for (const b of demand.blobs.filter(mine)) sizes.set(b.digest, b.size)
    const linked = await linkedInOrganization(tx, org.name, [...sizes.keys()])
    let added = 0
    for (const [digest, size] of sizes) if (!linked.has(digest)) added += size
    const limit = Number(org.quotaBytes)
    if (added && usage.bytes + added > limit) throw new QuotaExceeded(org.name, 'bytes', limit, usage.bytes, added)
  }
}

async function countExisting(tx: Db, repositoryId: number, tags: string[]) {
  let n = 0
  for (const part of chunks(tags)) n += await tx.tag.count({ where: { repositoryId, name: { in: part } } })
  return n
}

/** Which of these digests some repository of the organization already links (they add no bytes). */
async function linkedInOrganization(tx: Db, organization: string, digests: string[]): Promise<Set<string>> {
  const out = new Set<string>()
  for (const part of chunks(digests)) {
    const rows = await tx.$queryRaw<{ digest: string }[]>`
      SELECT DISTINCT rb.digest FROM "RepositoryBlob" rb JOIN "Repository" r ON r.id = rb."repositoryId"
      WHERE rb.digest IN (${Prisma.join(part)}) AND ${await organizationRepositorySql(tx, organization, Prisma.raw('r.name'))}`
    for (const r of rows) out.add(r.digest)
  }
  return out
}
