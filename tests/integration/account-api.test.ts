// The account JSON API over real HTTP with access enforced, on SQLite and PostgreSQL: sign-in and
// sign-out (also everywhere), session fixation and expiry, first-time setup, organizations and their
// members, users, access tokens, repository visibility, CSRF, and the audit rows all of them write.
import { describe, it, expect, beforeAll } from 'vitest'
import { providers } from '../helpers/stack'
import { registryForTests, startRegistry } from '../helpers/http-stack'
import { seedUser, seedOrganization, seedToken, basic, bearer, PASSWORD } from '../helpers/accounts'
import { pushOneLayerImage } from './oci-support'
import { ensureFirstAdmin } from '../../lib/auth/first-admin'
import { parseTrustedProxies } from '../../lib/http/client-address'
import { ThrottledError } from '../../lib/auth/auth-settings'

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
  const audit = (action: string, where: Record<string, unknown> = {}) => reg.stack.db.auditEvent.findMany({ where: { action, ...where }, orderBy: { id: 'asc' } })
  /** Pushes a one-layer image through the test seam (access is not what these tests are about). */
  async function pushImage(repo: string, tag: string) {
    reg.stack.auth!.openAccess = true
    try {
      await pushOneLayerImage(reg.url, repo, tag, 512)
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
      expect((await audit('session.sign-in', { outcome: 'ok', actor: 'bob' })).length).toBeGreaterThan(0)
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
      const created = await call('/api/organizations/acme/robots', { method: 'POST', cookie: await signIn('bob'), body: { name: 'ci', role: 'push' } })
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
      const admin = await signIn('ada')
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
      expect((await call('/api/organizations', { method: 'POST', cookie: await signIn('bob'), body: { name: 'bobco' } })).status).toBe(403)
      expect((await call('/api/organizations', { method: 'POST', body: { name: 'anonco' } })).status).toBe(401)
    })

    it('refuses a cross-origin POST with the session cookie (CSRF) and takes the same-origin one', async () => {
      const admin = await signIn('ada')
      const evil = await call('/api/organizations', { method: 'POST', cookie: admin, body: { name: 'evilcorp' }, headers: { Origin: 'http://evil.example' } })
      expect(evil.status).toBe(403)
      expect(evil.json.error.code).toBe('DENIED')
      expect(await reg.stack.db.organization.findUnique({ where: { name: 'evilcorp' } })).toBeNull()
      const same = await call('/api/organizations', { method: 'POST', cookie: admin, body: { name: 'evilcorp' }, headers: { Origin: reg.url } })
      expect(same.status).toBe(201)
      // nor can another site sign a browser in (login CSRF)
      expect((await call('/api/session', { method: 'POST', body: { user: 'bob', password: PASSWORD }, headers: { Origin: 'http://evil.example' } })).status).toBe(403)
    })

    it('lists the caller’s organizations (administrators: all) and shows members, settings and usage to members', async () => {
      await pushImage('acme/app', 'v1')
      await pushImage('acme/app', 'v2')
      await pushImage('acme', 'root')
      await pushImage('acme-labs/app', 'v1') // another organization's name starting with "acme"
      const carol = await signIn('carol')
      const list = await call('/api/organizations', { cookie: carol })
      expect(list.json.organizations).toEqual([{ name: 'acme', role: 'pull', repositories: 2, createdAt: expect.any(String) }])
      const all = await call('/api/organizations', { cookie: await signIn('ada') })
      expect(all.json.organizations.map((o: { name: string }) => o.name)).toEqual(expect.arrayContaining(['acme', 'globex', 'initech']))
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
      expect((await call('/api/organizations/globex', { cookie: carol })).status).toBe(403)
      expect((await call('/api/organizations/acme')).status).toBe(401)
    })

    it('lets administrators change settings and quotas, validating them', async () => {
      const admin = await signIn('ada')
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
  })
})
