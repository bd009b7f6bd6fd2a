// The account JSON API over real HTTP with access enforced, on SQLite and PostgreSQL: sign-in and
// sign-out (also everywhere), session fixation and expiry, first-time setup, organizations and their
// members, users, access tokens, repository visibility, console tag changes, CSRF, and the audit rows all of them write.
import { describe, it, expect, beforeAll } from 'vitest'
import { providers } from '../helpers/stack'
import { registryForTests, startRegistry } from '../helpers/http-stack'
import { seedUser, seedOrganization, seedToken, basic, bearer, PASSWORD } from '../helpers/accounts'
import { pushOneLayerImage } from './oci-support'
import { ensureFirstAdmin } from '../../lib/auth/first-admin'
import { parseTrustedProxies } from '../../lib/http/client-address'
import { ThrottledError } from '../../lib/auth/auth-settings'
import { issueRegistryToken } from '../../lib/auth/registry-token'
import { tokenKeyOf } from '../../lib/auth/authenticate'

type Call = { method?: string; body?: unknown; cookie?: string; headers?: Record<string, string> }

describe.each(providers)('account API (%s)', (provider) => {
  const reg = registryForTests(provider, { access: 'enforced' })

  async function call(path: string, c: Call = {}) {
    const headers: Record<string, string> = { ...(c.body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...(c.cookie ? { Cookie: c.cookie } : {}), ...c.headers }
    const res = await fetch(reg.url + path, { method: c.method ?? 'GET', headers, body: c.body === undefined ? undefined : typeof c.body === 'string' ? c.body : JSON.stringify(c.body) })
    const text = await res.text()
    return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null }
  }
  const cookieOf = (res: { headers: Headers }) => (res.headers.get('set-cookie') ?? '').split(';')[0]
  async function signIn(user: string, password = PASSWORD, extra: Call = {}) {
    const res = await call('/api/session', { method: 'POST', body: { user, password }, ...extra })
    expect(res.status, JSON.stringify(res.json)).toBe(200)
    return cookieOf(res)
  }
  // ada's and bob's sessions are never ended by a test: one each is enough (sign-in costs an argon2 verify)
  const kept = new Map<string, Promise<string>>()
  const session = (user: 'ada' | 'bob') => kept.get(user) ?? kept.set(user, signIn(user)).get(user)!
  const audit = (action: string, where: Record<string, unknown> = {}) => reg.stack.db.auditEvent.findMany({ where: { action, ...where }, orderBy: { id: 'asc' } })
  /** Pushes a one-layer image through the test seam (access is not what these tests are about). */
  async function pushImage(repo: string, tag: string) {
    reg.stack.auth!.openAccess = true
    try {
      return await pushOneLayerImage(reg.url, repo, tag, 512)
    } finally {
      reg.stack.auth!.openAccess = false
    }
  }

  beforeAll(async () => {
    const db = reg.stack.db
    await seedUser(db, 'ada', { admin: true })
    for (const u of ['bob', 'carol', 'dave']) await seedUser(db, u)
    await seedOrganization(db, 'acme', { bob: 'owner', carol: 'pull' })
    await seedOrganization(db, 'globex', { dave: 'owner', bob: 'push' })
    await seedOrganization(db, 'umbrella', { ada: 'owner' })
  })

  describe('sessions', () => {
    it('signs in with a password: an HttpOnly, SameSite=Strict cookie that GET /api/session accepts; wrong password 401, audited', async () => {
      const res = await call('/api/session', { method: 'POST', body: { user: 'bob', password: PASSWORD } })
      expect(res.status).toBe(200)
      expect(res.json).toEqual({ user: { name: 'bob', admin: false } })
      const setCookie = res.headers.get('set-cookie')!
      expect(setCookie).toMatch(/^stowage_session=[A-Za-z0-9_-]{40,};/)
      expect(setCookie).toContain('HttpOnly')
      expect(setCookie).toContain('SameSite=Strict')
      expect(setCookie).not.toContain('Secure')
      const me = await call('/api/session', { cookie: cookieOf(res) })
      expect(me.status).toBe(200)
      expect(me.json).toEqual({ user: { name: 'bob', admin: false, kind: 'user' }, organizations: [{ name: 'acme', role: 'owner' }, { name: 'globex', role: 'push' }] })

      const wrong = await call('/api/session', { method: 'POST', body: { user: 'bob', password: 'not the password' } })
      expect(wrong.status).toBe(401)
      expect(wrong.json.error.code).toBe('UNAUTHORIZED')
      expect(wrong.headers.get('set-cookie')).toBeNull()
      const nobody = await call('/api/session', { method: 'POST', body: { user: 'nobody-here', password: PASSWORD } })
      expect(nobody.status).toBe(401)
      const failed = await audit('session.sign-in', { outcome: 'failed' })
      expect(failed.map((e) => e.actor)).toEqual(expect.arrayContaining(['bob', 'nobody-here']))
      expect(failed.every((e) => !e.detail?.includes(PASSWORD) && !e.detail?.includes('not the password'))).toBe(true)
      const ok = await audit('session.sign-in', { outcome: 'ok', actor: 'bob' })
      expect(ok.length).toBeGreaterThan(0)
      expect(ok[0].address).toBe('127.0.0.1')
      expect((await call('/api/session')).status).toBe(401)
    })

    it('answers a Secure cookie when the request came over https (through a trusted proxy)', async () => {
      reg.stack.network = { trustedProxies: parseTrustedProxies('127.0.0.1') }
      try {
        const res = await call('/api/session', { method: 'POST', body: { user: 'bob', password: PASSWORD }, headers: { 'X-Forwarded-Proto': 'https' } })
        expect(res.status).toBe(200)
        expect(res.headers.get('set-cookie')).toContain('; Secure')
      } finally {
        reg.stack.network = {}
      }
      // from an untrusted peer the header is not believed
      const plain = await call('/api/session', { method: 'POST', body: { user: 'bob', password: PASSWORD }, headers: { 'X-Forwarded-Proto': 'https' } })
      expect(plain.headers.get('set-cookie')).not.toContain('Secure')
    })

    it('never reuses a cookie sent before sign-in (session fixation)', async () => {
      const planted = 'stowage_session=PlantedByAnAttacker0123456789abcdefghijklmnopq'
      const cookie = await signIn('carol', PASSWORD, { cookie: planted })
      expect(cookie).not.toBe(planted)
      expect((await call('/api/session', { cookie })).json.user.name).toBe('carol')
      expect((await call('/api/session', { cookie: planted })).status).toBe(401)
      // a session the attacker holds (their own) and planted is ended, not carried over either
      const attackers = await signIn('dave')
      const victims = await signIn('carol', PASSWORD, { cookie: attackers })
      expect(victims).not.toBe(attackers)
      expect((await call('/api/session', { cookie: attackers })).status).toBe(401)
      expect((await call('/api/session', { cookie: victims })).json.user.name).toBe('carol')
    })

    it('signs out one session, or everywhere', async () => {
      const one = await signIn('dave')
      const two = await signIn('dave')
      const out = await call('/api/session', { method: 'DELETE', cookie: one })
      expect(out.status).toBe(204)
      expect(out.headers.get('set-cookie')).toMatch(/^stowage_session=;.*Max-Age=0/)
      expect((await call('/api/session', { cookie: one })).status).toBe(401)
      expect((await call('/api/session', { cookie: two })).status).toBe(200)
      const three = await signIn('dave')
      expect((await call('/api/session?everywhere=true', { method: 'DELETE', cookie: three })).status).toBe(204)
      expect((await call('/api/session', { cookie: two })).status).toBe(401)
      expect((await call('/api/session', { cookie: three })).status).toBe(401)
      expect((await audit('session.sign-out', { actor: 'dave' })).length).toBe(1)
      expect((await audit('session.sign-out-everywhere', { actor: 'dave' })).length).toBe(1)
    })

    it('treats an expired or ended session as no session (401)', async () => {
      const cookie = await signIn('carol')
      await reg.stack.db.session.updateMany({ where: { user: { name: 'carol' } }, data: { expiresAt: new Date(Date.now() - 1000) } })
      expect((await call('/api/session', { cookie })).status).toBe(401)
      const again = await signIn('carol')
      await reg.stack.db.session.deleteMany({ where: { user: { name: 'carol' } } })
      expect((await call('/api/organizations', { cookie: again })).status).toBe(401)
    })

    it('answers 429 with Retry-After when sign-in is throttled, and audits the attempt', async () => {
      reg.stack.auth!.signInThrottle = {
        before: async (user) => {
          if (user === 'carol') throw new ThrottledError(42)
        },
        failed: async () => {},
        succeeded: async () => {},
      }
      try {
        const res = await call('/api/session', { method: 'POST', body: { user: 'carol', password: PASSWORD } })
        expect(res.status).toBe(429)
        expect(res.headers.get('retry-after')).toBe('42')
        expect(res.json.error.code).toBe('TOO_MANY_REQUESTS')
      } finally {
        delete reg.stack.auth!.signInThrottle
      }
      expect((await audit('session.sign-in', { outcome: 'failed', actor: 'carol' })).some((e) => e.detail?.includes('throttled'))).toBe(true)
    })

    it('refuses robots and access tokens at the console sign-in, and malformed bodies', async () => {
      const created = await call('/api/organizations/acme/robots', { method: 'POST', cookie: await session('bob'), body: { name: 'ci', role: 'push' } })
      expect(created.status).toBe(201)
      const token = await seedToken(reg.stack.db, 'acme+ci', { access: 'pull' })
      expect((await call('/api/session', { method: 'POST', body: { user: 'acme+ci', password: token } })).status).toBe(401)
      const own = await seedToken(reg.stack.db, 'bob')
      expect((await call('/api/session', { method: 'POST', body: { user: 'bob', password: own } })).status).toBe(401)
      expect((await call('/api/session', { method: 'POST', body: 'not json' })).status).toBe(400)
      expect((await call('/api/session', { method: 'POST', body: { user: 'bob' } })).status).toBe(400)
      expect((await call('/api/session', { method: 'POST', body: { user: 'bob', password: 'x'.repeat(20_000) } })).status).toBe(413)
    })
  })

  describe('organizations', () => {
    it('lets administrators create organizations (the creator owns it), refusing look-alike and taken names', async () => {
      const admin = await session('ada')
      const created = await call('/api/organizations', { method: 'POST', cookie: admin, body: { name: 'initech' } })
      expect(created.status).toBe(201)
      expect(created.json).toMatchObject({ name: 'initech', role: 'owner', repositories: 0 })
      expect((await call('/api/organizations/initech', { cookie: admin })).json.members).toEqual([{ user: 'ada', role: 'owner', kind: 'user' }])
      const squat = async (name: string) => call('/api/organizations', { method: 'POST', cookie: admin, body: { name } })
      const upper = await squat('Acme')
      expect(upper.status).toBe(400)
      expect(upper.json.error.message).toMatch(/upper-case/)
      const trailing = await squat('acme-')
      expect(trailing.status).toBe(400)
      expect(trailing.json.error.message).toMatch(/not a valid organization name/)
      const reserved = await squat('api')
      expect(reserved.status).toBe(400)
      expect(reserved.json.error.message).toMatch(/reserved/)
      const taken = await squat('acme')
      expect(taken.status).toBe(409)
      expect(taken.json.error.code).toBe('NAME_TAKEN')
      expect((await audit('organization.create', { target: 'initech' })).map((e) => e.actor)).toEqual(['ada'])
      // only administrators
      expect((await call('/api/organizations', { method: 'POST', cookie: await session('bob'), body: { name: 'bobco' } })).status).toBe(403)
      expect((await call('/api/organizations', { method: 'POST', body: { name: 'anonco' } })).status).toBe(401)
    })

    it('refuses a cross-origin POST with the session cookie (CSRF) and takes the same-origin one', async () => {
      const admin = await session('ada')
      const evil = await call('/api/organizations', { method: 'POST', cookie: admin, body: { name: 'evilcorp' }, headers: { Origin: 'http://evil.example' } })
      expect(evil.status).toBe(403)
      expect(evil.json.error.code).toBe('DENIED')
      expect(await reg.stack.db.organization.findUnique({ where: { name: 'evilcorp' } })).toBeNull()
      const same = await call('/api/organizations', { method: 'POST', cookie: admin, body: { name: 'evilcorp' }, headers: { Origin: reg.url } })
      expect(same.status).toBe(201)
      // nor can another site sign a browser in (login CSRF)
      expect((await call('/api/session', { method: 'POST', body: { user: 'bob', password: PASSWORD }, headers: { Origin: 'http://evil.example' } })).status).toBe(403)
      // Basic credentials a browser remembers from its prompt count as the browser's own, like the cookie
      const basicAuth = { Authorization: `Basic ${Buffer.from(`ada:${PASSWORD}`).toString('base64')}` }
      expect((await call('/api/organizations', { method: 'POST', body: { name: 'evilbasic' }, headers: { ...basicAuth, Origin: 'http://evil.example' } })).status).toBe(403)
      expect((await call('/api/organizations', { method: 'POST', body: { name: 'evilbasic' }, headers: { ...basicAuth, 'Sec-Fetch-Site': 'cross-site' } })).status).toBe(403)
      expect(await reg.stack.db.organization.findUnique({ where: { name: 'evilbasic' } })).toBeNull()
      // a command-line client sends neither header
      expect((await call('/api/organizations', { method: 'POST', body: { name: 'evilbasic' }, headers: basicAuth })).status).toBe(201)
    })

    it('lists the caller’s organizations (administrators: all) and shows members, settings and usage to members', async () => {
      await pushImage('acme/app', 'v1')
      await pushImage('acme/app', 'v2')
      await pushImage('acme', 'root')
      await pushImage('acme-labs/app', 'v1') // another organization's name starting with "acme"
      const carol = await signIn('carol')
      const list = await call('/api/organizations', { cookie: carol })
      expect(list.json.organizations).toEqual([{ name: 'acme', role: 'pull', repositories: 2, createdAt: expect.any(String) }])
      const all = await call('/api/organizations', { cookie: await session('ada') })
      expect(all.json.organizations.map((o: { name: string }) => o.name)).toEqual(expect.arrayContaining(['acme', 'globex']))
      const detail = await call('/api/organizations/acme', { cookie: carol })
      expect(detail.status).toBe(200)
      expect(detail.json).toMatchObject({
        name: 'acme',
        role: 'pull',
        settings: { pushRatePerSecond: null, quotaRepositories: null, quotaTagsPerRepository: null, quotaBytes: null },
        usage: { repositories: 2, tags: 3 },
      })
      expect(detail.json.members).toEqual(expect.arrayContaining([{ user: 'bob', role: 'owner', kind: 'user' }, { user: 'carol', role: 'pull', kind: 'user' }]))
      // three images: 3 distinct layers of 512 bytes + 3 configs, each counted once
      const blobs = await reg.stack.db.blob.findMany({ where: { repositories: { some: { repository: { name: { in: ['acme', 'acme/app'] } } } } } })
      expect(detail.json.usage.bytes).toBe(blobs.reduce((n, b) => n + Number(b.uncompressedSize ?? b.size), 0))
      expect(blobs.length).toBe(6)
      // a layer that two of its repositories hold counts once
      const root = await reg.stack.db.repository.findUniqueOrThrow({ where: { name: 'acme' }, include: { blobs: true } })
      const app = await reg.stack.db.repository.findUniqueOrThrow({ where: { name: 'acme/app' }, include: { blobs: true } })
      const shared = app.blobs.find((b) => !root.blobs.some((r) => r.digest === b.digest))!
      await reg.stack.db.repositoryBlob.create({ data: { repositoryId: root.id, digest: shared.digest } })
      expect((await call('/api/organizations/acme', { cookie: carol })).json.usage.bytes).toBe(detail.json.usage.bytes)
      expect((await call('/api/organizations/globex', { cookie: carol })).status).toBe(403)
      expect((await call('/api/organizations/acme')).status).toBe(401)
    })

    it('lets administrators change settings and quotas, validating them', async () => {
      const admin = await session('ada')
      const res = await call('/api/organizations/globex', { method: 'PATCH', cookie: admin, body: { pushRatePerSecond: 5, quotaBytes: 10_000_000_000 } })
      expect(res.status).toBe(200)
      expect(res.json.settings).toEqual({ pushRatePerSecond: 5, quotaRepositories: null, quotaTagsPerRepository: null, quotaBytes: 10_000_000_000 })
      expect((await call('/api/organizations/globex', { method: 'PATCH', cookie: admin, body: { pushRatePerSecond: 0 } })).status).toBe(400)
      expect((await call('/api/organizations/globex', { method: 'PATCH', cookie: admin, body: { quotaRepositories: 1.5 } })).status).toBe(400)
      expect((await call('/api/organizations/globex', { method: 'PATCH', cookie: admin, body: { quota: 1 } })).status).toBe(400)
      expect((await call('/api/organizations/nope', { method: 'PATCH', cookie: admin, body: { quotaRepositories: 1 } })).status).toBe(404)
      // an owner is not an administrator
      expect((await call('/api/organizations/globex', { method: 'PATCH', cookie: await signIn('dave'), body: { quotaBytes: null } })).status).toBe(403)
      expect((await audit('organization.settings', { organization: 'globex' })).length).toBe(1)
    })

    it('lets owners set and remove members; the last owner can be neither removed nor demoted', async () => {
      const dave = await signIn('dave')
      const put = (user: string, role: string, cookie = dave) => call(`/api/organizations/globex/members/${user}`, { method: 'PUT', cookie, body: { role } })
      expect((await put('carol', 'pull')).status).toBe(200)
      expect((await put('carol', 'boss')).status).toBe(400)
      expect((await put('nobody-at-all', 'pull')).status).toBe(404)
      const demote = await put('dave', 'push')
      expect(demote.status).toBe(409)
      expect(demote.json.error.code).toBe('LAST_OWNER')
      expect((await call('/api/organizations/globex/members/dave', { method: 'DELETE', cookie: dave })).status).toBe(409)
      // a pull member cannot manage members
      expect((await put('carol', 'owner', await signIn('carol'))).status).toBe(403)
      expect((await put('carol', 'owner')).status).toBe(200)
      expect((await put('dave', 'pull')).status).toBe(200)
      expect((await call('/api/organizations/globex/members/dave', { method: 'DELETE', cookie: await signIn('carol') })).status).toBe(204)
      expect((await call('/api/organizations/globex/members/dave', { method: 'DELETE', cookie: await signIn('carol') })).status).toBe(404)
      const events = await audit('member.set', { organization: 'globex' })
      expect(events.map((e) => [e.actor, e.target, JSON.parse(e.detail!).role])).toEqual([
        ['dave', 'carol', 'pull'],
        ['dave', 'carol', 'owner'],
        ['dave', 'dave', 'pull'],
      ])
      expect((await audit('member.remove', { organization: 'globex' })).map((e) => [e.actor, e.target])).toEqual([['carol', 'dave']])
    })

    it('keeps an owner when two owners demote each other at the same moment', async () => {
      await seedOrganization(reg.stack.db, 'twins', { bob: 'owner', carol: 'owner' })
      const [bob, carol] = [await session('bob'), await signIn('carol')]
      for (let round = 0; round < 3; round++) {
        const answers = await Promise.all([
          call('/api/organizations/twins/members/carol', { method: 'PUT', cookie: bob, body: { role: 'pull' } }),
          call('/api/organizations/twins/members/bob', { method: 'PUT', cookie: carol, body: { role: 'pull' } }),
        ])
        // the second demotion is refused: as the last owner's (409), or as a former owner's (403)
        expect(answers.map((a) => a.status).sort()).toEqual(answers.some((a) => a.status === 403) ? [200, 403] : [200, 409])
        expect(await reg.stack.db.membership.count({ where: { organization: { name: 'twins' }, role: 'owner' } })).toBe(1)
        await reg.stack.db.membership.updateMany({ where: { organization: { name: 'twins' } }, data: { role: 'owner' } })
      }
    })
  })

  describe('setup', () => {
    it('creates the first administrator once with the setup token, and signs them in', async () => {
      const fresh = await startRegistry(provider, { access: 'enforced' })
      try {
        const post = (body: unknown, headers: Record<string, string> = {}) =>
          fetch(`${fresh.url}/api/setup`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) })
        expect(await (await fetch(`${fresh.url}/api/setup`)).json()).toEqual({ needed: true })
        const outcome = await ensureFirstAdmin(fresh.stack.db, { user: 'admin', password: null })
        if (outcome.kind !== 'setup') throw new Error('expected a setup token')
        expect((await post({ token: 'wrong-token', user: 'root', password: PASSWORD })).status).toBe(403)
        expect((await post({ token: outcome.token, user: 'Root', password: PASSWORD })).status).toBe(400)
        expect((await post({ token: outcome.token, user: 'root', password: 'short' })).status).toBe(400)
        expect((await post({ token: outcome.token, user: 'root', password: PASSWORD }, { Origin: 'http://evil.example' })).status).toBe(403)
        const done = await post({ token: outcome.token, user: 'root', password: PASSWORD })
        expect(done.status).toBe(201)
        expect(await done.json()).toEqual({ user: { name: 'root', admin: true } })
        const cookie = (done.headers.get('set-cookie') ?? '').split(';')[0]
        const me = await fetch(`${fresh.url}/api/session`, { headers: { Cookie: cookie } })
        expect((await me.json()).user).toEqual({ name: 'root', admin: true, kind: 'user' })
        // once only: the same token (or any) no longer works
        const again = await post({ token: outcome.token, user: 'mallory', password: PASSWORD })
        expect(again.status).toBe(409)
        expect(await fresh.stack.db.user.findUnique({ where: { name: 'mallory' } })).toBeNull()
        expect(await (await fetch(`${fresh.url}/api/setup`)).json()).toEqual({ needed: false })
        const events = await fresh.stack.db.auditEvent.findMany({ where: { action: 'setup.admin-created' }, orderBy: { id: 'asc' } })
        expect(events.map((e) => [e.outcome, e.actor])).toEqual([
          ['failed', 'root'],
          ['ok', 'root'],
        ])
      } finally {
        await fresh.close()
      }
    })
  })

  describe('users', () => {
    it('lets administrators list and create users; others get 403, anonymous 401', async () => {
      const admin = await session('ada')
      const list = await call('/api/users', { cookie: admin })
      expect(list.status).toBe(200)
      expect(list.json.users).toEqual(expect.arrayContaining([{ name: 'bob', admin: false, kind: 'user', createdAt: expect.any(String) }]))
      expect(JSON.stringify(list.json)).not.toMatch(/passwordHash|argon2/)
      expect((await call('/api/users', { cookie: await session('bob') })).status).toBe(403)
      expect((await call('/api/users')).status).toBe(401)
      expect((await call('/api/users', { headers: basic('bob') })).status).toBe(403)
      const created = await call('/api/users', { method: 'POST', cookie: admin, body: { name: 'erin', password: 'erins long password' } })
      expect(created.status).toBe(201)
      expect(created.json).toMatchObject({ name: 'erin', admin: false, kind: 'user' })
      expect((await call('/api/session', { method: 'POST', body: { user: 'erin', password: 'erins long password' } })).status).toBe(200)
      expect((await call('/api/users', { method: 'POST', cookie: admin, body: { name: 'erin', password: PASSWORD } })).status).toBe(409)
      expect((await call('/api/users', { method: 'POST', cookie: admin, body: { name: 'Erin', password: PASSWORD } })).status).toBe(400)
      expect((await call('/api/users', { method: 'POST', cookie: admin, body: { name: 'frank', password: 'short' } })).json.error.code).toBe('PASSWORD_INVALID')
      expect((await call('/api/users', { method: 'POST', cookie: await session('bob'), body: { name: 'frank', password: PASSWORD } })).status).toBe(403)
      // an administrator's access token cannot manage users
      const adminToken = await seedToken(reg.stack.db, 'ada', { access: 'push' })
      expect((await call('/api/users', { method: 'POST', headers: bearer(adminToken), body: { name: 'frank', password: PASSWORD } })).status).toBe(403)
      expect((await audit('user.create', { target: 'erin' })).map((e) => e.actor)).toEqual(['ada'])
    })
  })

  describe('access tokens', () => {
    it('shows the secret once; it works as Bearer and as Basic password for its owner only; listed without secret; last use recorded; revoked → 401', async () => {
      const bob = await session('bob')
      const created = await call('/api/tokens', { method: 'POST', cookie: bob, body: { name: 'laptop', organization: null, access: 'push', expiresAt: null } })
      expect(created.status).toBe(201)
      const { token, id } = created.json
      expect(token).toMatch(/^stw_[A-Za-z0-9]{16}_/)
      expect(created.json).toMatchObject({ id, name: 'laptop', user: 'bob', organization: null, access: 'push', expiresAt: null, lastUsedAt: null, revokedAt: null })

      expect((await call('/api/session', { headers: bearer(token) })).json.user.name).toBe('bob')
      expect((await call('/api/organizations/acme', { headers: basic('bob', token) })).status).toBe(200)
      expect((await call('/api/organizations/acme', { headers: basic('carol', token) })).status).toBe(401)

      const list = await call('/api/tokens', { cookie: bob })
      const listed = list.json.tokens.find((t: { id: string }) => t.id === id)
      expect(listed).toMatchObject({ id, name: 'laptop', user: 'bob', access: 'push' })
      expect(listed.lastUsedAt).not.toBeNull()
      expect(JSON.stringify(list.json)).not.toContain(token.slice(21))
      expect(JSON.stringify(list.json)).not.toMatch(/secretHash/)
      // a token cannot make tokens (nor sign out sessions)
      expect((await call('/api/tokens', { method: 'POST', headers: bearer(token), body: { name: 'x', organization: null, access: 'pull', expiresAt: null } })).status).toBe(403)
      // other users do not see or revoke it
      expect((await call('/api/tokens', { cookie: await signIn('carol') })).json.tokens.some((t: { id: string }) => t.id === id)).toBe(false)
      expect((await call(`/api/tokens/${id}`, { method: 'DELETE', cookie: await signIn('carol') })).status).toBe(404)

      expect((await call(`/api/tokens/${id}`, { method: 'DELETE', cookie: bob })).status).toBe(204)
      expect((await call('/api/session', { headers: bearer(token) })).status).toBe(401)
      expect((await call('/api/organizations/acme', { headers: basic('bob', token) })).status).toBe(401)
      expect((await call('/api/tokens', { cookie: bob })).json.tokens.find((t: { id: string }) => t.id === id).revokedAt).not.toBeNull()
      expect((await audit('token.create', { target: id })).map((e) => e.actor)).toEqual(['bob'])
      expect((await audit('token.revoke', { target: id })).map((e) => e.actor)).toEqual(['bob'])
      expect((await audit('token.create', { target: id }))[0].detail).not.toContain(token.slice(21))
    })

    it('validates access, expiry and organization, and the creator’s role there', async () => {
      const carol = await signIn('carol') // pull in acme
      const post = (body: Record<string, unknown>, cookie = carol) => call('/api/tokens', { method: 'POST', cookie, body: { name: 't', organization: null, access: 'pull', expiresAt: null, ...body } })
      expect((await post({ access: 'admin' })).json.error.code).toBe('ACCESS_INVALID')
      expect((await post({ expiresAt: '2001-01-01' })).json.error.code).toBe('EXPIRY_INVALID')
      expect((await post({ expiresAt: 'tomorrow' })).json.error.code).toBe('EXPIRY_INVALID')
      expect((await post({ expiresAt: '2099-01-01T10:00:00' })).json.error.code).toBe('EXPIRY_INVALID') // a time needs its zone
      expect((await post({ expiresAt: '2099-01-01T10:00:00Z' })).status).toBe(201)
      expect((await post({ name: '' })).json.error.code).toBe('NAME_INVALID')
      expect((await post({ organization: 'acme', access: 'pull' })).status).toBe(201)
      expect((await post({ organization: 'acme', access: 'push' })).status).toBe(403) // carol only pulls there
      expect((await post({ organization: 'umbrella' })).status).toBe(403) // not a member
      expect((await post({ organization: 'no-such-org' })).status).toBe(403) // does not reveal whether it exists
      expect((await post({ organization: 'no-such-org' }, await session('ada'))).json.error.code).toBe('ORGANIZATION_NOT_FOUND')
    })

    it('expired → 401; a pull token cannot delete a tag; an organization-limited token cannot read another organization', async () => {
      await pushImage('acme/tools', 'v1')
      await pushImage('globex/app', 'v1')
      const expired = await seedToken(reg.stack.db, 'bob', { expiresAt: new Date(Date.now() - 1000) })
      expect((await call('/api/repositories/acme/tools/tags', { headers: bearer(expired) })).status).toBe(401)
      const pull = await seedToken(reg.stack.db, 'bob', { access: 'pull' })
      expect((await call('/api/repositories/acme/tools/tags', { headers: bearer(pull) })).status).toBe(200)
      const del = await call('/api/repositories/acme/tools/tags/v1', { method: 'DELETE', headers: bearer(pull) })
      expect(del.status).toBe(403)
      expect(del.json.error.code).toBe('DENIED')
      const acmeOnly = await seedToken(reg.stack.db, 'bob', { organization: 'acme', access: 'push' })
      expect((await call('/api/repositories/acme/tools/tags', { headers: bearer(acmeOnly) })).status).toBe(200)
      expect((await call('/api/repositories/globex/app/tags', { headers: bearer(acmeOnly) })).status).toBe(403)
      expect((await call('/api/repositories/globex/app/tags', { headers: basic('bob') })).status).toBe(200) // bob himself may
      expect((await call('/api/repositories/acme/tools/tags/v1', { headers: bearer(pull) })).status).toBe(200)
    })

    it('lets owners make and revoke their robots’ tokens, which act within the robot’s role', async () => {
      const dave = await signIn('dave')
      const admin = await session('ada')
      expect((await call('/api/organizations/umbrella/robots', { method: 'POST', cookie: admin, body: { name: 'deploy', role: 'pull' } })).status).toBe(201)
      expect((await call('/api/organizations/umbrella/robots', { method: 'POST', cookie: admin, body: { name: 'deploy' } })).status).toBe(409)
      expect((await call('/api/organizations/umbrella/robots', { method: 'POST', cookie: dave, body: { name: 'mine' } })).status).toBe(403)
      expect((await call('/api/organizations/umbrella/robots', { method: 'POST', cookie: admin, body: { name: 'boss', role: 'owner' } })).json.error.code).toBe('ROLE_INVALID')
      expect((await call('/api/organizations/umbrella/members/umbrella+deploy', { method: 'PUT', cookie: admin, body: { role: 'owner' } })).json.error.code).toBe('ROLE_INVALID')
      const elsewhere = await call('/api/organizations/acme/members/umbrella+deploy', { method: 'PUT', cookie: await session('bob'), body: { role: 'pull' } })
      expect(elsewhere.json.error.code).toBe('ROBOT_OF_ANOTHER_ORGANIZATION')
      const post = (body: Record<string, unknown>, cookie = admin) => call('/api/tokens', { method: 'POST', cookie, body: { name: 'deploy', organization: null, access: 'pull', expiresAt: null, robot: 'umbrella+deploy', ...body } })
      expect((await post({}, dave)).status).toBe(403) // dave does not own umbrella
      expect((await post({ access: 'push' })).json.error.code).toBe('ACCESS_INVALID') // the robot only pulls
      expect((await post({ organization: 'acme' })).json.error.code).toBe('ORGANIZATION_INVALID')
      const made = await post({})
      expect(made.status).toBe(201)
      expect(made.json).toMatchObject({ user: 'umbrella+deploy', access: 'pull' })
      expect((await call('/api/session', { headers: bearer(made.json.token) })).json.user).toEqual({ name: 'umbrella+deploy', admin: false, kind: 'robot' })
      expect((await call('/api/tokens', { cookie: admin })).json.tokens.some((t: { id: string }) => t.id === made.json.id)).toBe(true)
      expect((await call('/api/tokens', { cookie: dave })).json.tokens.some((t: { id: string }) => t.id === made.json.id)).toBe(false)
      expect((await call(`/api/tokens/${made.json.id}`, { method: 'DELETE', cookie: dave })).status).toBe(403)
      expect((await call(`/api/tokens/${made.json.id}`, { method: 'DELETE', cookie: admin })).status).toBe(204)
      expect((await call('/api/session', { headers: bearer(made.json.token) })).status).toBe(401)
    })
  })

  describe('registry tokens', () => {
    it('cannot manage an organization with a registry token (JWT) from the token flow', async () => {
      const { token } = await issueRegistryToken(await tokenKeyOf(reg.stack), { subject: 'bob', service: 'stowage', access: [{ type: 'repository', name: 'acme/app', actions: ['pull'] }], ttlSeconds: 300 })
      const put = await call('/api/organizations/acme/members/dave', { method: 'PUT', headers: bearer(token), body: { role: 'owner' } })
      expect(put.status).toBe(403)
      expect((await call('/api/organizations/acme/robots', { method: 'POST', headers: bearer(token), body: { name: 'sneaky' } })).status).toBe(403)
      expect(await reg.stack.db.membership.findFirst({ where: { organization: { name: 'acme' }, user: { name: 'dave' } } })).toBeNull()
      expect((await call('/api/organizations/acme', { headers: bearer(token) })).status).toBe(200)
    })
  })

  describe('tag changes in the console', () => {
    it('audits a tag pointed elsewhere (tag.set) and a tag deleted (tag.delete): actor, organization, target, digests', async () => {
      await seedOrganization(reg.stack.db, 'hooli', { bob: 'push' }) // its own: the tests above change other organizations' members
      const first = await pushImage('hooli/web', 'v1')
      const second = await pushImage('hooli/web', 'v2')
      const url = (tag: string) => `/api/repositories/hooli/web/tags/${tag}`
      const rows = async (action: string) =>
        (await audit(action, { target: { startsWith: 'hooli/web:' } })).map((e) => ({ actor: e.actor, organization: e.organization, target: e.target, outcome: e.outcome, detail: JSON.parse(e.detail!) }))
      // refused and missing: nothing changed, nothing recorded as done
      expect((await call(url('v1'), { method: 'PUT', headers: basic('dave'), body: { digest: second.digest } })).status).toBe(403)
      expect((await call(url('v9'), { method: 'DELETE', headers: basic('bob') })).status).toBe(404)
      expect(await rows('tag.set')).toEqual([])
      expect(await rows('tag.delete')).toEqual([])

      const put = await call(url('v1'), { method: 'PUT', headers: basic('bob'), body: { digest: second.digest } }) // bob pushes there; dave is no member
      expect(put.status, JSON.stringify(put.json)).toBe(200)
      expect((await call(url('v2'), { method: 'DELETE', cookie: await session('bob') })).status).toBe(204)
      expect(await rows('tag.set')).toEqual([
        { actor: 'bob', organization: 'hooli', target: 'hooli/web:v1', outcome: 'ok', detail: { via: 'console', digest: second.digest, previousDigest: first.digest } },
      ])
      expect(await rows('tag.delete')).toEqual([{ actor: 'bob', organization: 'hooli', target: 'hooli/web:v2', outcome: 'ok', detail: { via: 'console', digest: second.digest } }])
    })
  })

  describe('repository visibility', () => {
    it('lets owners make a repository public: anonymous callers then read its tags', async () => {
      await pushImage('acme/site', 'v1')
      expect((await call('/api/repositories/acme/site/tags')).status).toBe(401)
      const patch = (cookie: string | undefined, body: unknown) => call('/api/repositories/acme/site', { method: 'PATCH', cookie, body })
      expect((await patch(await signIn('carol'), { public: true })).status).toBe(403) // pull member
      expect((await patch(undefined, { public: true })).status).toBe(401)
      const bob = await session('bob')
      expect((await patch(bob, { public: 'yes' })).status).toBe(400)
      expect((await call('/api/repositories/acme/none', { method: 'PATCH', cookie: bob, body: { public: true } })).status).toBe(404)
      const res = await patch(bob, { public: true })
      expect(res.status).toBe(200)
      expect(res.json).toEqual({ name: 'acme/site', public: true })
      const anon = await call('/api/repositories/acme/site/tags')
      expect(anon.status).toBe(200)
      expect(JSON.stringify(anon.json)).toContain('v1')
      expect((await call('/api/repositories/acme/site/tags/v1', { method: 'DELETE' })).status).toBe(401)
      expect((await patch(bob, { public: false })).status).toBe(200)
      expect((await call('/api/repositories/acme/site/tags')).status).toBe(401)
      expect((await audit('repository.visibility', { target: 'acme/site' })).map((e) => [e.actor, e.organization, JSON.parse(e.detail!).public])).toEqual([
        ['bob', 'acme', true],
        ['bob', 'acme', false],
      ])
    })
  })
})
