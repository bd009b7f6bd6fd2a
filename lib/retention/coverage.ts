// Which policies a run applies and which repositories each covers. A repository's own policy wins over
// its organization's (a disabled one too: it exempts the repository); an organization's policy covers
// every repository of the organization without a policy of its own. Disabled policies are not applied.
import type { Services } from '../services'
import { Prisma } from '../db/generated/sqlite/client'
import { organizationOf } from '../auth/account-names'
import { organizationRepositorySql } from '../auth/visibility'
import { BATCH } from '../registry/bulk-sql'
import type { PolicyRow } from './policies'

type Db = Services['db']

export type RetentionScope = { policyId?: number; organization?: string; repository?: string }

export type PolicyRun = {
  policy: PolicyRow
  organization: string
  /** the run is limited to this repository (a run asked for one repository) */
  only: string | null
}

async function organizationNameOf(db: Db, policy: PolicyRow): Promise<string | null> {
  if (policy.repository !== null) return organizationOf(policy.repository)
  if (policy.organizationId === null) return null
  return (await db.organization.findUnique({ where: { id: policy.organizationId }, select: { name: true } }))?.name ?? null
}

async function runOf(db: Db, policy: PolicyRow | null, only: string | null = null): Promise<PolicyRun[]> {
  if (!policy?.enabled) return []
  const organization = await organizationNameOf(db, policy)
  return organization === null ? [] : [{ policy, organization, only }]
}

/** Repository policies of an organization's repositories. */
async function repositoryPoliciesOf(db: Db, organization: string): Promise<PolicyRow[]> {
  const rows = await db.retentionPolicy.findMany({ where: { repository: { startsWith: `${organization}/` } }, orderBy: { id: 'asc' } })
  return rows.filter((r) => r.repository !== null && organizationOf(r.repository) === organization)
}

/** The policies to apply for a scope (none given: every enabled policy), in id order. */
export async function policiesToRun(db: Db, scope: RetentionScope): Promise<PolicyRun[]> {
  if (scope.repository !== undefined) {
    const own = await db.retentionPolicy.findUnique({ where: { repository: scope.repository } })
    if (own) return runOf(db, own, scope.repository)
    const org = await db.organization.findUnique({ where: { name: organizationOf(scope.repository) }, select: { id: true } })
    const inherited = org ? await db.retentionPolicy.findUnique({ where: { organizationId: org.id } }) : null
    return runOf(db, inherited, scope.repository)
  }
  if (scope.organization !== undefined) {
    const org = await db.organization.findUnique({ where: { name: scope.organization }, select: { id: true } })
    if (!org) return []
    const own = await db.retentionPolicy.findUnique({ where: { organizationId: org.id } })
    const runs = await runOf(db, own)
    for (const p of await repositoryPoliciesOf(db, scope.organization)) runs.push(...(await runOf(db, p)))
    return runs
  }
  const policies = scope.policyId !== undefined ? await db.retentionPolicy.findMany({ where: { id: scope.policyId } }) : await db.retentionPolicy.findMany({ where: { enabled: true }, orderBy: { id: 'asc' } })
  const runs: PolicyRun[] = []
  for (const p of policies) runs.push(...(await runOf(db, p)))
  return runs
}

export type CoveredRepository = { id: number; name: string }

/** The repositories a policy run covers, read in batches (an organization may have many). */
export async function* coveredRepositories(db: Db, run: PolicyRun): AsyncGenerator<CoveredRepository> {
  const single = run.only ?? run.policy.repository
  if (single !== null) {
    const row = await db.repository.findUnique({ where: { name: single }, select: { id: true, name: true } })
    if (row) yield row
    return
  }
  const exempt = new Set((await repositoryPoliciesOf(db, run.organization)).map((p) => p.repository))
  const inOrganization = await organizationRepositorySql(db, run.organization, Prisma.raw('r.name'))
  for (let after = 0; ; ) {
    const rows = await db.$queryRaw<{ id: number | bigint; name: string }[]>`
      SELECT r.id, r.name FROM "Repository" r WHERE ${inOrganization} AND r.id > ${after} ORDER BY r.id LIMIT ${BATCH}`
    for (const r of rows) if (!exempt.has(r.name)) yield { id: Number(r.id), name: r.name }
    if (rows.length < BATCH) return
    after = Number(rows[rows.length - 1].id)
  }
}
