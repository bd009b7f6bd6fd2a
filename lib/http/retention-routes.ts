// Console API of retention policies (lib/retention/): an organization's or a repository's policy is read,
// replaced and deleted by the organization's owners (and administrators); a run (dry or real) is asked
// for an organization or a repository by its owners, for every policy by administrators.
import type { ApiCtx, ApiRoute } from './api-routes'
import { allow } from './api-routes'
import type { Principal } from './authorize'
import { ApiError, sendJson } from './respond'
import { readJsonObject } from './json-body'
import { decodePathSegment } from './request-params'
import { MAX_ACCOUNT_BODY_BYTES } from '../accounts/input'
import { organizationOf } from '../auth/account-names'
import { displayName } from '../auth/principal'
import { recordAudit } from '../audit/audit-log'
import { parsePolicyRules } from '../retention/policy-input'
import { requirePolicy, setPolicy, deletePolicy, type PolicyScope, type RetentionPolicyView } from '../retention/policies'
import { runRetention, RetentionBusyError, type RetentionResult } from '../retention/run-retention'
import type { RetentionScope } from '../retention/coverage'

const BODY_SHAPE = '{"keepLatest"?: 0..100000, "keepPattern"?: "release-*", "untaggedDays"?: 0..36500, "enabled"?: true}'

type Target = { scope: PolicyScope; organization: string; label: string; actor: Principal }

/** The three methods on one policy path; `target` authorizes the caller as an owner before anything is read. */
function policyRoutes(pattern: RegExp, sample: string, target: (ctx: ApiCtx, m: RegExpExecArray) => Promise<Target>): ApiRoute[] {
  return [
    {
      method: 'GET',
      pattern,
      sample,
      audience: 'owner',
      async handle(ctx, m) {
        const t = await target(ctx, m)
        sendJson(ctx.res, 200, await requirePolicy(ctx.services.db, t.scope))
      },
    },
    {
      method: 'PUT',
      pattern,
      sample,
      audience: 'owner',
      async handle(ctx, m) {
        const t = await target(ctx, m)
        const rules = parsePolicyRules(await readJsonObject(ctx.req, MAX_ACCOUNT_BODY_BYTES, BODY_SHAPE))
        const { policy, previous } = await setPolicy(ctx.services.db, t.scope, rules)
        await audit(ctx, t, 'retention.set', { policyId: policy.id, ...rulesOf(policy), previous: previous && rulesOf(previous) })
        sendJson(ctx.res, 200, policy)
      },
    },
    {
      method: 'DELETE',
      pattern,
      sample,
      audience: 'owner',
      async handle(ctx, m) {
        const t = await target(ctx, m)
        const removed = await deletePolicy(ctx.services.db, t.scope)
        await audit(ctx, t, 'retention.delete', { policyId: removed.id, previous: rulesOf(removed) })
        sendJson(ctx.res, 200, removed)
      },
    },
  ]
}

const rulesOf = (p: RetentionPolicyView) => ({ keepLatest: p.keepLatest, keepPattern: p.keepPattern, untaggedDays: p.untaggedDays, enabled: p.enabled })

const audit = (ctx: ApiCtx, t: Target, action: 'retention.set' | 'retention.delete' | 'retention.run', detail: Record<string, unknown>) =>
  recordAudit(ctx.services, ctx.req, { action, actor: t.actor, organization: t.organization, target: t.label, detail })

export const retentionRoutes: ApiRoute[] = [
  ...policyRoutes(/^\/api\/organizations\/([^/]+)\/retention$/, '/api/organizations/ORG/retention', async (ctx, m) => {
    const organization = decodePathSegment(m[1], 'organization name')
    const actor = await allow(ctx, 'manage', { kind: 'organization', name: organization })
    return { scope: { organization }, organization, label: organization, actor }
  }),
  ...policyRoutes(/^\/api\/repositories\/(.+)\/retention$/, '/api/repositories/REPO/retention', async (ctx, m) => {
    const repository = decodePathSegment(m[1], 'repository name')
    const actor = await allow(ctx, 'manage', { kind: 'repository', name: repository })
    return { scope: { repository }, organization: organizationOf(repository), label: repository, actor }
  }),
  {
    method: 'POST',
    pattern: /^\/api\/retention\/run$/,
    sample: '/api/retention/run?dryRun=true&organization=ORG',
    audience: 'owner',
    handle: (ctx) => run(ctx),
  },
]

/** POST /api/retention/run?dryRun=true|false[&organization=|&repository=]: owners for their scope, administrators for all. */
async function run(ctx: ApiCtx) {
  const { url, services } = ctx
  const organization = url.searchParams.get('organization')
  const repository = url.searchParams.get('repository')
  if (organization !== null && repository !== null) throw new ApiError(400, 'SCOPE_INVALID', 'give organization or repository, not both')
  let scope: RetentionScope
  let actor: Principal
  if (organization !== null) {
    actor = await allow(ctx, 'manage', { kind: 'organization', name: organization })
    if (!(await services.db.organization.findUnique({ where: { name: organization }, select: { id: true } }))) {
      throw new ApiError(404, 'ORGANIZATION_NOT_FOUND', `organization "${organization.slice(0, 100)}" does not exist`)
    }
    scope = { organization }
  } else if (repository !== null) {
    actor = await allow(ctx, 'manage', { kind: 'repository', name: repository })
    if (!(await services.db.repository.findUnique({ where: { name: repository }, select: { id: true } }))) {
      throw new ApiError(404, 'REPOSITORY_NOT_FOUND', `repository "${repository.slice(0, 200)}" does not exist`)
    }
    scope = { repository }
  } else {
    actor = await allow(ctx, 'manage', { kind: 'server' }) // every policy of every organization
    scope = {}
  }
  const dryRunParam = url.searchParams.get('dryRun')
  if (dryRunParam !== 'true' && dryRunParam !== 'false') {
    throw new ApiError(400, 'DRY_RUN_INVALID', 'dryRun must be "true" (list what would be deleted, change nothing) or "false" (delete)')
  }
  const dryRun = dryRunParam === 'true'
  let result: RetentionResult
  try {
    result = await runRetention(services, { ...scope, dryRun, trigger: 'manual', actor: displayName(actor) })
  } catch (e) {
    if (e instanceof RetentionBusyError) throw new ApiError(409, 'RETENTION_RUNNING', e.message)
    throw e
  }
  if (!dryRun) {
    const tags = result.deleted.filter((d) => d.tag !== null).length
    const target = scope.organization ?? scope.repository ?? null
    await recordAudit(services, ctx.req, {
      action: 'retention.run',
      actor,
      organization: scope.organization ?? (scope.repository ? organizationOf(scope.repository) : null),
      target,
      detail: { trigger: 'manual', policies: result.policies, tagsDeleted: tags, manifestsDeleted: result.deleted.length - tags, kept: result.kept },
    })
  }
  sendJson(ctx.res, 200, result)
}
