// Console API: sessions, first-time setup, organizations and their members and robots, users, access
// tokens, repository visibility. Every route authorizes through allow() before it reads its body, so
// a caller without the right gets 401/403, never a validation answer that reveals anything.
import type { ApiCtx, ApiRoute, Audience } from './api-routes'
import { allow } from './api-routes'
import type { UserPrincipal } from '../auth/principal'
import type { Action, Resource } from './authorize'
import { ApiError, sendJson } from './respond'
import { readJsonObject } from './json-body'
import { decodePathSegment } from './request-params'
import { requestOrigin } from './client-address'
import { crossSiteProblem } from './same-origin'
import { sessionCookie, clearedSessionCookie } from '../auth/sessions'
import { needsSetup } from '../auth/first-admin'
import { organizationOf, isRepositoryName } from '../auth/account-names'
import { recordAudit, type AuditEntry } from '../audit/audit-log'
import { MAX_ACCOUNT_BODY_BYTES, booleanField, roleField, stringField, onlyFields } from '../accounts/input'
import { signIn, signOut } from '../accounts/sign-in'
import { setUpFirstAdmin } from '../accounts/setup'
import { listOrganizations, createOrganization, organizationDetail, updateSettings } from '../accounts/organizations'
import { setMember, removeMember } from '../accounts/members'
import { listUsers, createUser } from '../accounts/users'
import { createRobot, findRobot } from '../accounts/robots'
import { listTokens, tokenRequest, issueToken, findToken, checkRobotToken, tokenOrganizationId } from '../accounts/tokens'
import { revokeAccessToken } from '../auth/access-tokens'
import { setRepositoryPublic } from '../accounts/repository-visibility'

const ORG = '([^/]+)'
/** A path below /api/organizations/{org}, as matched and as the access test's sample. */
type Below = { pattern: string; sample: string }
const THE_ORGANIZATION: Below = { pattern: '', sample: '' }
const MEMBER: Below = { pattern: '/members/([^/]+)', sample: '/members/somebody' }
const ROBOTS: Below = { pattern: '/robots', sample: '/robots' }
const orgName = (raw: string) => decodePathSegment(raw, 'organization name')
const memberName = (m: RegExpExecArray) => decodePathSegment(m[2], 'user name')
const body = (ctx: ApiCtx, shape: string) => readJsonObject(ctx.req, MAX_ACCOUNT_BODY_BYTES, shape)
const secure = (ctx: ApiCtx) => requestOrigin(ctx.services, ctx.req).proto === 'https'

/** allow() for routes that only signed-in users reach: the principal is then a user. */
async function allowUser(ctx: ApiCtx, action: Action, resource: Resource): Promise<UserPrincipal> {
  const p = await allow(ctx, action, resource)
  if (p.kind !== 'user') throw new ApiError(401, 'UNAUTHORIZED', 'sign in first')
  return p
}

/** The audit row of a change the signed-in caller made (recordAudit never fails the change). */
const audit = (ctx: ApiCtx, actor: UserPrincipal, entry: Omit<AuditEntry, 'actor'>) => recordAudit(ctx.services, ctx.req, { ...entry, actor })

type OrganizationRequest = { name: string; p: UserPrincipal }

/**
 * A route at /api/organizations/{org}[below]: the caller must be allowed `action` on that organization
 * before the handler reads its body or says whether anything in it exists.
 */
function organizationRoute(method: string, below: Below, audience: Audience, action: Action, handle: (ctx: ApiCtx, org: OrganizationRequest, m: RegExpExecArray) => Promise<void>): ApiRoute {
  return {
    method,
    pattern: new RegExp(`^/api/organizations/${ORG}${below.pattern}$`),
    sample: `/api/organizations/ORG${below.sample}`,
    audience,
    async handle(ctx, m) {
      const name = orgName(m[1])
      return handle(ctx, { name, p: await allowUser(ctx, action, { kind: 'organization', name }) }, m)
    },
  }
}

/** Sign-in and setup take no cookie, so allow()'s CSRF check does not see them: a page elsewhere must not sign a browser in (login CSRF). */
function refuseCrossSite(ctx: ApiCtx) {
  const problem = crossSiteProblem(ctx.services, ctx.req)
  if (problem) throw new ApiError(403, 'DENIED', problem)
}

export const accountRoutes: ApiRoute[] = [
  {
    method: 'POST',
    pattern: /^\/api\/session$/,
    sample: '/api/session',
    audience: 'anyone',
    async handle(ctx) {
      refuseCrossSite(ctx)
      const b = await body(ctx, '{"user": "...", "password": "..."}')
      const signed = await signIn(ctx.services, ctx.req, stringField(b, 'user'), stringField(b, 'password', 2048))
      sendJson(ctx.res, 200, { user: { name: signed.user.name, admin: signed.user.admin } }, { 'Set-Cookie': sessionCookie(signed.secret, secure(ctx)) })
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/session$/,
    sample: '/api/session',
    audience: 'signed-in',
    async handle(ctx) {
      const p = await allowUser(ctx, 'read', { kind: 'account' })
      const user = await ctx.services.db.user.findUniqueOrThrow({ where: { id: p.id }, select: { name: true, admin: true, kind: true, memberships: { select: { role: true, organization: { select: { name: true } } } } } })
      const organizations = user.memberships.map((m) => ({ name: m.organization.name, role: m.role })).sort((a, b) => (a.name < b.name ? -1 : 1))
      sendJson(ctx.res, 200, { user: { name: user.name, admin: user.admin, kind: user.kind }, organizations })
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/api\/session$/,
    sample: '/api/session',
    audience: 'signed-in',
    async handle(ctx) {
      const p = await allowUser(ctx, 'manage', { kind: 'account' })
      await signOut(ctx.services, ctx.req, p, ctx.url.searchParams.get('everywhere') === 'true')
      ctx.res.writeHead(204, { 'Set-Cookie': clearedSessionCookie(secure(ctx)), 'Cache-Control': 'no-store' }).end()
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/setup$/,
    sample: '/api/setup',
    audience: 'anyone',
    async handle(ctx) {
      sendJson(ctx.res, 200, { needed: await needsSetup(ctx.services.db) })
    },
  },
  {
    method: 'POST',
    pattern: /^\/api\/setup$/,
    sample: '/api/setup',
    audience: 'anyone',
    async handle(ctx) {
      refuseCrossSite(ctx)
      const b = await body(ctx, '{"token": "...", "user": "...", "password": "..."}')
      const done = await setUpFirstAdmin(ctx.services, ctx.req, { token: stringField(b, 'token'), user: stringField(b, 'user'), password: stringField(b, 'password', 2048) })
      sendJson(ctx.res, 201, { user: done.user }, { 'Set-Cookie': sessionCookie(done.secret, secure(ctx)) })
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/organizations$/,
    sample: '/api/organizations',
    audience: 'signed-in',
    async handle(ctx) {
      const p = await allowUser(ctx, 'read', { kind: 'server' })
      sendJson(ctx.res, 200, { organizations: await listOrganizations(ctx.services, p) })
    },
  },
  {
    method: 'POST',
    pattern: /^\/api\/organizations$/,
    sample: '/api/organizations',
    audience: 'admin',
    async handle(ctx) {
      const p = await allowUser(ctx, 'manage', { kind: 'server' })
      const name = stringField(await body(ctx, '{"name": "..."}'), 'name', 100)
      const org = await createOrganization(ctx.services, name, p)
      await audit(ctx, p, { action: 'organization.create', organization: org.name, target: org.name })
      sendJson(ctx.res, 201, { name: org.name, role: 'owner', repositories: 0, createdAt: org.createdAt })
    },
  },
  organizationRoute('GET', THE_ORGANIZATION, 'pull', 'read', async (ctx, { name, p }) => {
    sendJson(ctx.res, 200, await organizationDetail(ctx.services, name, p))
  }),
  {
    method: 'PATCH',
    pattern: new RegExp(`^/api/organizations/${ORG}$`),
    sample: '/api/organizations/ORG',
    audience: 'admin',
    async handle(ctx, m) {
      const name = orgName(m[1])
      const p = await allowUser(ctx, 'manage', { kind: 'server' })
      const change = await updateSettings(ctx.services, name, await body(ctx, '{"pushRatePerSecond"?, "quotaRepositories"?, "quotaTagsPerRepository"?, "quotaBytes"?}'))
      await audit(ctx, p, { action: 'organization.settings', organization: name, target: name, detail: change })
      sendJson(ctx.res, 200, { name, settings: change.after })
    },
  },
  organizationRoute('PUT', MEMBER, 'owner', 'manage', async (ctx, { name, p }, m) => {
    const role = roleField(await body(ctx, '{"role": "owner" | "push" | "pull"}'))
    const change = await setMember(ctx.services, name, memberName(m), role)
    await audit(ctx, p, { action: 'member.set', organization: name, target: change.user, detail: { role, previous: change.previous } })
    sendJson(ctx.res, 200, { user: change.user, role })
  }),
  organizationRoute('DELETE', MEMBER, 'owner', 'manage', async (ctx, { name, p }, m) => {
    const change = await removeMember(ctx.services, name, memberName(m))
    await audit(ctx, p, { action: 'member.remove', organization: name, target: change.user, detail: { previous: change.previous } })
    ctx.res.writeHead(204).end()
  }),
  organizationRoute('POST', ROBOTS, 'owner', 'manage', async (ctx, { name, p }) => {
    const b = await body(ctx, '{"name": "...", "role": "pull" | "push"}')
    const robot = await createRobot(ctx.services, name, stringField(b, 'name', 64), b.role === undefined ? 'pull' : roleField(b))
    await audit(ctx, p, { action: 'user.create', organization: name, target: robot.name, detail: { kind: 'robot', role: robot.role } })
    sendJson(ctx.res, 201, robot)
  }),
  {
    method: 'GET',
    pattern: /^\/api\/users$/,
    sample: '/api/users',
    audience: 'admin',
    async handle(ctx) {
      await allowUser(ctx, 'manage', { kind: 'server' })
      sendJson(ctx.res, 200, { users: await listUsers(ctx.services) })
    },
  },
  {
    method: 'POST',
    pattern: /^\/api\/users$/,
    sample: '/api/users',
    audience: 'admin',
    async handle(ctx) {
      const p = await allowUser(ctx, 'manage', { kind: 'server' })
      const b = await body(ctx, '{"name": "...", "password": "...", "admin"?: false}')
      const user = await createUser(ctx.services, { name: stringField(b, 'name', 100), password: stringField(b, 'password', 2048), admin: booleanField(b, 'admin', false) })
      await audit(ctx, p, { action: 'user.create', target: user.name, detail: { admin: user.admin } })
      sendJson(ctx.res, 201, user)
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/tokens$/,
    sample: '/api/tokens',
    audience: 'signed-in',
    async handle(ctx) {
      const p = await allowUser(ctx, 'read', { kind: 'account' })
      sendJson(ctx.res, 200, { tokens: await listTokens(ctx.services, p) })
    },
  },
  { method: 'POST', pattern: /^\/api\/tokens$/, sample: '/api/tokens', audience: 'signed-in', handle: (ctx) => createToken(ctx) },
  {
    method: 'DELETE',
    pattern: /^\/api\/tokens\/([^/]+)$/,
    sample: '/api/tokens/0000000000000000',
    audience: 'signed-in',
    async handle(ctx, m) {
      const p = await allowUser(ctx, 'manage', { kind: 'account' })
      const row = await findToken(ctx.services, decodePathSegment(m[1], 'token id'))
      let organization: string | null = null
      if (row.userId !== p.id) {
        // another user's token: only a robot's, and only for its organization's owners
        if (row.user.kind !== 'robot') throw new ApiError(404, 'TOKEN_NOT_FOUND', `there is no token ${row.id}`)
        organization = (await findRobot(ctx.services, row.user.name)).organization
        await allow(ctx, 'manage', { kind: 'organization', name: organization })
      }
      await revokeAccessToken(ctx.services.db, row.id)
      await audit(ctx, p, { action: 'token.revoke', organization, target: row.id, detail: { name: row.name, user: row.user.name } })
      ctx.res.writeHead(204).end()
    },
  },
  {
    method: 'PATCH',
    pattern: /^\/api\/repositories\/(.+)$/,
    sample: '/api/repositories/REPO',
    audience: 'owner',
    async handle(ctx, m) {
      const repository = decodePathSegment(m[1], 'repository name')
      const p = await allowUser(ctx, 'manage', { kind: 'repository', name: repository })
      const b = await body(ctx, '{"public": true | false}')
      onlyFields(b, ['public'])
      if (!isRepositoryName(repository)) throw new ApiError(404, 'REPOSITORY_NOT_FOUND', `repository "${repository.slice(0, 200)}" does not exist`)
      const change = await setRepositoryPublic(ctx.services, repository, booleanField(b, 'public'))
      await audit(ctx, p, { action: 'repository.visibility', organization: organizationOf(repository), target: repository, detail: { public: change.public, previous: change.previous } })
      sendJson(ctx.res, 200, { name: change.name, public: change.public })
    },
  },
]

/** POST /api/tokens: a token for the caller, or (`robot`) for a robot of an organization the caller owns. */
async function createToken(ctx: ApiCtx) {
  const p = await allowUser(ctx, 'manage', { kind: 'account' })
  const req = tokenRequest(await body(ctx, '{"name": "...", "organization": "..." | null, "access": "pull" | "push", "expiresAt": "2030-01-31" | null, "robot"?: "org+name"}'))
  let owner: { id: number; name: string } = p
  let organization = req.organization
  if (req.robot) {
    // authorized on the name's organization first: a non-owner learns nothing about its robots
    organization = req.robot.split('+')[0]
    await allow(ctx, 'manage', { kind: 'organization', name: organization })
    const { robot } = await findRobot(ctx.services, req.robot)
    await checkRobotToken(ctx.services, robot, organization, req)
    owner = robot
  } else if (req.organization !== null) {
    // the creator must have at least the token's access there (non-members are refused before existence shows)
    await allow(ctx, req.access === 'push' ? 'write' : 'read', { kind: 'organization', name: req.organization })
  }
  const organizationId = await tokenOrganizationId(ctx.services, req.organization)
  const token = await issueToken(ctx.services, owner, req, organizationId)
  await audit(ctx, p, { action: 'token.create', organization, target: token.id, detail: { name: token.name, user: owner.name, access: token.access, expiresAt: token.expiresAt } })
  sendJson(ctx.res, 201, token)
}
