// Retention policies: one per organization (covers its repositories) or per repository (wins over its
// organization's, also when disabled: a disabled repository policy exempts that repository). Reading,
// replacing and deleting them; applying them is run-retention.ts.
import type { Services } from '../services'
import { ApiError } from '../http/respond'
import { isUniqueViolation } from '../db/client'
import { organizationOf } from '../auth/account-names'
import type { PolicyRules } from './policy-input'

type Db = Services['db']

export type PolicyScope = { organization: string } | { repository: string }

export type RetentionPolicyView = {
  id: number
  scope: 'organization' | 'repository'
  /** the organization the policy belongs to (a repository policy: the repository's organization) */
  organization: string
  /** null for an organization's policy */
  repository: string | null
  keepLatest: number | null
  keepPattern: string | null
  untaggedDays: number | null
  enabled: boolean
  createdAt: Date
  updatedAt: Date
}

export type PolicyRow = { id: number; organizationId: number | null; repository: string | null; keepLatest: number | null; keepPattern: string | null; untaggedDays: number | null; enabled: boolean; createdAt: Date; updatedAt: Date }

const scopeName = (scope: PolicyScope) => ('organization' in scope ? `organization "${scope.organization}"` : `repository "${scope.repository}"`)

export function policyView(row: PolicyRow, organization: string): RetentionPolicyView {
  return {
    id: row.id,
    scope: row.repository === null ? 'organization' : 'repository',
    organization,
    repository: row.repository,
    keepLatest: row.keepLatest,
    keepPattern: row.keepPattern,
    untaggedDays: row.untaggedDays,
    enabled: row.enabled,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  }
}

async function organizationId(db: Db, name: string): Promise<number> {
  const org = await db.organization.findUnique({ where: { name }, select: { id: true } })
  if (!org) throw new ApiError(404, 'ORGANIZATION_NOT_FOUND', `organization "${name.slice(0, 100)}" does not exist`)
  return org.id
}

const organizationOfScope = (scope: PolicyScope) => ('organization' in scope ? scope.organization : organizationOf(scope.repository))

async function whereOf(db: Db, scope: PolicyScope) {
  return 'organization' in scope ? { organizationId: await organizationId(db, scope.organization) } : { repository: scope.repository }
}

/** The policy of an organization or repository, or null when it has none. */
export async function getPolicy(db: Db, scope: PolicyScope): Promise<RetentionPolicyView | null> {
  const row = await db.retentionPolicy.findUnique({ where: await whereOf(db, scope) })
  return row ? policyView(row, organizationOfScope(scope)) : null
}

/** Like getPolicy, but 404 when there is none. */
export async function requirePolicy(db: Db, scope: PolicyScope): Promise<RetentionPolicyView> {
  const policy = await getPolicy(db, scope)
  if (!policy) throw new ApiError(404, 'POLICY_NOT_FOUND', `${scopeName(scope)} has no retention policy`)
  return policy
}

/** Creates or replaces the policy; answers it and the one it replaced. A repository must exist. */
export async function setPolicy(db: Db, scope: PolicyScope, rules: PolicyRules): Promise<{ policy: RetentionPolicyView; previous: RetentionPolicyView | null }> {
  if ('repository' in scope && !(await db.repository.findUnique({ where: { name: scope.repository }, select: { id: true } }))) {
    throw new ApiError(404, 'REPOSITORY_NOT_FOUND', `repository "${scope.repository.slice(0, 200)}" does not exist`)
  }
  const where = await whereOf(db, scope)
  for (let attempt = 1; ; attempt++) {
    const before = await db.retentionPolicy.findUnique({ where })
    try {
      // two first writes at once: one creates, the other fails on the unique key and updates on its
      // retry; a policy deleted between the read and the update (P2025) is created on the retry
      const row = before ? await db.retentionPolicy.update({ where: { id: before.id }, data: rules }) : await db.retentionPolicy.create({ data: { ...where, ...rules } })
      const organization = organizationOfScope(scope)
      return { policy: policyView(row, organization), previous: before ? policyView(before, organization) : null }
    } catch (e) {
      if (!(isUniqueViolation(e) || (e as { code?: string })?.code === 'P2025') || attempt >= 3) throw e
    }
  }
}

/** Deletes the policy; answers it (404 when there was none). */
export async function deletePolicy(db: Db, scope: PolicyScope): Promise<RetentionPolicyView> {
  const row = await db.retentionPolicy.findUnique({ where: await whereOf(db, scope) })
  if (!row) throw new ApiError(404, 'POLICY_NOT_FOUND', `${scopeName(scope)} has no retention policy`)
  await db.retentionPolicy.deleteMany({ where: { id: row.id } })
  return policyView(row, organizationOfScope(scope))
}
