// `docker login` against enforced access: skopeo and podman log in through the token flow (401
// challenge → /v2/token with Basic credentials → bearer JWT) and push/pull what their role allows;
// anonymous pulls only public repositories; access tokens work as passwords and their revocation ends
// the registry tokens made from them at once; tampered, expired and under-scoped JWTs are refused the
// way the distribution spec says. SQLite and PostgreSQL, real S3-compatible server.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { randomBytes } from 'node:crypto'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { providers } from '../helpers/stack'
import { fixtures } from '../helpers/fixtures'
import { hasPodman, hasSkopeo } from '../helpers/optional'
import { seedUser, seedOrganization, seedToken, basic, bearer, PASSWORD } from '../helpers/accounts'
import { startRegistry, sha256, errorOf, request, type Registry } from './oci-support'
import { issueRegistryToken } from '../../lib/auth/registry-token'
import { tokenKeyOf } from '../../lib/auth/authenticate'
import { revokeAccessToken } from '../../lib/auth/access-tokens'
import { ThrottledError } from '../../lib/auth/auth-settings'

const ARCHIVE = fixtures.path(fixtures.files.busybox)
const BUSYBOX_DIFF_IDS = fixtures.facts.busybox.diffIds
const skopeoPresent = hasSkopeo()
const podmanPresent = hasPodman()
const run = promisify(execFile)

/** Runs a command; resolves with { ok, out } instead of throwing, so refusals can be inspected. */
async function attempt(cmd: string, args: string[]) {
  try {
    const { stdout } = await run(cmd, args, { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 })
    return { ok: true, out: stdout }
  } catch (e) {
    const err = e as { stderr?: string; message: string }
    return { ok: false, out: err.stderr || err.message }
  }
}

async function must(cmd: string, args: string[]) {
  const r = await attempt(cmd, args)
  if (!r.ok) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.out}`)
  return r.out
}

describe.skipIf(!skopeoPresent).each(providers)('docker login and the token flow (%s)', (provider) => {
  let reg: Registry
  let work: string
  /** a skopeo auth file per user, so logins do not mix (and never touch the machine's own) */
  const authfile = (who: string) => path.join(work, `auth-${who}.json`)
  const skopeo = (who: string | null, cmd: string, ...args: string[]) =>
    attempt('skopeo', [cmd, ...(who ? ['--authfile', authfile(who)] : ['--no-creds']), '--tls-verify=false', ...args])
  const login = (who: string, secret = PASSWORD) => must('skopeo', ['login', '--authfile', authfile(who), '--tls-verify=false', '-u', who, '-p', secret, reg.host])
  const copyIn = (who: string, dest: string) =>
    attempt('skopeo', ['copy', '--dest-authfile', authfile(who), '--dest-tls-verify=false', `docker-archive:${ARCHIVE}`, `docker://${reg.host}/${dest}`])

  /** a token from the token endpoint (GET with Basic credentials, as docker asks) */
  async function tokenFor(headers: Record<string, string>, ...scopes: string[]) {
    const q = new URLSearchParams([['service', 'stowage'], ...scopes.map((s) => ['scope', s])])
    const res = await fetch(`${reg.url}/v2/token?${q}`, { headers })
    expect(res.status).toBe(200)
    const body = await res.json()
    expect(body.access_token).toBe(body.token)
    return body.token as string
  }
  const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString())
  const manifestOf = (headers: Record<string, string>) => fetch(`${reg.url}/v2/acme/app/manifests/v1`, { headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json', ...headers } })

  beforeAll(async () => {
    reg = await startRegistry(provider, { access: 'enforced' })
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-login-'))
    const db = reg.stack.db
    for (const u of ['alice', 'bob', 'carol']) await seedUser(db, u)
    await seedOrganization(db, 'acme', { alice: 'push', bob: 'pull' })
    await seedOrganization(db, 'globex', { carol: 'push' })
  })
  afterAll(async () => {
    await reg?.close()
    if (work) fs.rmSync(work, { recursive: true, force: true })
  })

  it('skopeo logs in, pushes as a push member and pulls back; the push is audited, the logins are not', async () => {
    await login('alice')
    const pushed = await copyIn('alice', 'acme/app:v1')
    expect(pushed.out).toBe(pushed.ok ? pushed.out : 'push succeeded')
    const info = JSON.parse(await must('skopeo', ['inspect', '--authfile', authfile('alice'), '--tls-verify=false', `docker://${reg.host}/acme/app:v1`]))
    expect(info.Layers).toHaveLength(2)
    const layout = path.join(work, 'alice-oci')
    await must('skopeo', ['copy', '--src-authfile', authfile('alice'), '--src-tls-verify=false', `docker://${reg.host}/acme/app:v1`, `oci:${layout}`])
    expect(fs.existsSync(path.join(layout, 'index.json'))).toBe(true)

    const events = await reg.stack.db.auditEvent.findMany({ orderBy: { id: 'asc' } })
    expect(events.map((e) => [e.action, e.outcome, e.actor, e.organization, e.target?.split('@')[0]])).toEqual([['manifest.push', 'ok', 'alice', 'acme', 'acme/app:v1']])
  })

  it.skipIf(!podmanPresent)('podman logs in and pulls as a pull member', async () => {
    const base = ['--storage-driver', 'vfs', '--root', path.join(work, 'podman-root'), '--runroot', path.join(work, 'podman-run')]
    const auth = ['--authfile', path.join(work, 'podman-auth.json'), '--tls-verify=false']
    // without credentials podman cannot pull the private repository
    expect((await attempt('podman', [...base, 'pull', ...auth, `${reg.host}/acme/app:v1`])).ok).toBe(false)
    await must('podman', [...base, 'login', ...auth, '-u', 'bob', '-p', PASSWORD, reg.host])
    await must('podman', [...base, 'pull', ...auth, `${reg.host}/acme/app:v1`])
    const layers = await must('podman', [...base, 'image', 'inspect', `${reg.host}/acme/app:v1`, '--format', '{{json .RootFS.Layers}}'])
    expect(JSON.parse(layers)).toEqual(BUSYBOX_DIFF_IDS)
  })

  it('a pull-only member cannot push: DENIED (403), also with the token it was given', async () => {
    await login('bob')
    const pushed = await copyIn('bob', 'acme/app:v2')
    expect(pushed.ok).toBe(false)
    expect(pushed.out).toMatch(/denied/i)
    expect(await reg.stack.db.tag.count({ where: { name: 'v2' } })).toBe(0)

    const jwt = await tokenFor(basic('bob'), 'repository:acme/app:pull,push')
    expect(claimsOf(jwt)).toMatchObject({ sub: 'bob', aud: 'stowage', iss: 'stowage', access: [{ type: 'repository', name: 'acme/app', actions: ['pull'] }] })
    expect((await manifestOf(bearer(jwt))).status).toBe(200)
    const res = await fetch(`${reg.url}/v2/acme/app/blobs/uploads/`, { method: 'POST', headers: bearer(jwt) })
    expect(await errorOf(res)).toMatchObject({ status: 403, code: 'DENIED' })
  })

  it('anonymous callers pull public repositories only (skopeo --no-creds)', async () => {
    const res = await manifestOf({})
    expect(await errorOf(res)).toMatchObject({ status: 401, code: 'UNAUTHORIZED' })
    expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="${reg.url}/v2/token",service="stowage",scope="repository:acme/app:pull"`)
    const refused = await skopeo(null, 'inspect', `docker://${reg.host}/acme/app:v1`)
    expect(refused.ok).toBe(false)
    expect(refused.out).toMatch(/unauthorized|authentication required/i)

    // an anonymous token grants nothing on a private repository
    expect(claimsOf(await tokenFor({}, 'repository:acme/app:pull')).access).toEqual([])

    await reg.stack.db.repository.update({ where: { name: 'acme/app' }, data: { public: true } })
    try {
      const jwt = await tokenFor({}, 'repository:acme/app:pull,push')
      expect(claimsOf(jwt)).toMatchObject({ sub: '', access: [{ type: 'repository', name: 'acme/app', actions: ['pull'] }] })
      const info = await skopeo(null, 'inspect', `docker://${reg.host}/acme/app:v1`)
      expect(info.out).toBe(info.ok ? info.out : 'anonymous pull succeeded')
      expect(JSON.parse(info.out).Layers).toHaveLength(2)
      // public is read-only for strangers
      const push = await fetch(`${reg.url}/v2/acme/app/blobs/uploads/`, { method: 'POST', headers: bearer(jwt) })
      expect(push.status).toBe(401)
    } finally {
      await reg.stack.db.repository.update({ where: { name: 'acme/app' }, data: { public: false } })
    }
  })

  it('a member of another organization cannot pull', async () => {
    await login('carol')
    const pulled = await skopeo('carol', 'inspect', `docker://${reg.host}/acme/app:v1`)
    expect(pulled.ok).toBe(false)
    expect(pulled.out).toMatch(/denied/i)
    expect(claimsOf(await tokenFor(basic('carol'), 'repository:acme/app:pull')).access).toEqual([])
    expect(await errorOf(await manifestOf(basic('carol')))).toMatchObject({ status: 403, code: 'DENIED' })
  })

  it('an access token works as the password; once revoked, its registry tokens fail at once', async () => {
    const raw = await seedToken(reg.stack.db, 'alice', { organization: 'acme', access: 'pull' })
    await login('alice-token', raw).catch(() => null) // wrong user name for this token: refused
    expect(fs.existsSync(authfile('alice-token'))).toBe(false)
    await must('skopeo', ['login', '--authfile', authfile('alice-token'), '--tls-verify=false', '-u', 'alice', '-p', raw, reg.host])
    expect((await skopeo('alice-token', 'inspect', `docker://${reg.host}/acme/app:v1`)).ok).toBe(true)

    // the token's pull access caps its registry tokens even though alice may push
    const jwt = await tokenFor(basic('alice', raw), 'repository:acme/app:pull,push')
    expect(claimsOf(jwt).access).toEqual([{ type: 'repository', name: 'acme/app', actions: ['pull'] }])
    expect((await manifestOf(bearer(jwt))).status).toBe(200)

    const id = raw.split('_')[1]
    await revokeAccessToken(reg.stack.db, id)
    const res = await manifestOf(bearer(jwt))
    expect(await errorOf(res)).toMatchObject({ status: 401, code: 'UNAUTHORIZED' })
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"')
    expect((await skopeo('alice-token', 'inspect', `docker://${reg.host}/acme/app:v1`)).ok).toBe(false)
  })

  it('refuses tampered, foreign and expired JWTs with 401', async () => {
    const jwt = await tokenFor(basic('alice'), 'repository:acme/app:pull')
    expect((await manifestOf(bearer(jwt))).status).toBe(200)
    const [header, payload, signature] = jwt.split('.')
    const flipped = signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11)
    const widened = Buffer.from(JSON.stringify({ ...claimsOf(jwt), sub: 'admin', access: [{ type: 'repository', name: 'globex/secret', actions: ['*'] }] })).toString('base64url')
    const unsigned = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')
    const key = await tokenKeyOf(reg.stack)
    const claims = { subject: 'alice', service: 'stowage', access: [{ type: 'repository', name: 'acme/app', actions: ['pull'] }] }
    const expired = (await issueRegistryToken(key, { ...claims, ttlSeconds: -1 })).token
    const foreign = (await issueRegistryToken(randomBytes(32), { ...claims, ttlSeconds: 300 })).token
    const otherService = (await issueRegistryToken(key, { ...claims, service: 'elsewhere', ttlSeconds: 300 })).token
    const bad = { flipped: `${header}.${payload}.${flipped}`, widened: `${header}.${widened}.${signature}`, unsigned: `${unsigned}.${payload}.`, expired, foreign, otherService }
    for (const [what, token] of Object.entries(bad)) {
      const res = await manifestOf(bearer(token))
      expect([what, await errorOf(res)]).toMatchObject([what, { status: 401, code: 'UNAUTHORIZED' }])
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"')
    }
  })

  it('a JWT without push: 401 insufficient_scope for a user who may push (a new token helps), 403 for one who may not', async () => {
    const jwt = await tokenFor(basic('alice'), 'repository:acme/app:pull')
    const manifest = await (await manifestOf(bearer(jwt))).arrayBuffer()
    const put = await request(`${reg.url}/v2/acme/app/manifests/v3`, { method: 'PUT', body: Buffer.from(manifest), headers: { 'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json', ...bearer(jwt) } })
    expect(await errorOf(put)).toMatchObject({ status: 401, code: 'UNAUTHORIZED' })
    expect(put.headers.get('www-authenticate')).toBe(`Bearer realm="${reg.url}/v2/token",service="stowage",scope="repository:acme/app:pull,push",error="insufficient_scope"`)
    const catalog = await fetch(`${reg.url}/v2/_catalog`, { headers: bearer(jwt) })
    expect(catalog.status).toBe(401)
    expect(catalog.headers.get('www-authenticate')).toContain('scope="registry:catalog:*",error="insufficient_scope"')

    // the token the challenge leads to does it
    const pushJwt = await tokenFor(basic('alice'), 'repository:acme/app:pull,push', 'registry:catalog:*')
    expect(claimsOf(pushJwt).access).toEqual([
      { type: 'repository', name: 'acme/app', actions: ['pull', 'push'] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ])
    const again = await request(`${reg.url}/v2/acme/app/manifests/v3`, { method: 'PUT', body: Buffer.from(manifest), headers: { 'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json', ...bearer(pushJwt) } })
    expect(again.status).toBe(201)
    expect(await (await fetch(`${reg.url}/v2/_catalog`, { headers: bearer(pushJwt) })).json()).toEqual({ repositories: ['acme/app'] })

    const bobJwt = await tokenFor(basic('bob'), 'repository:acme/app:pull')
    const denied = await request(`${reg.url}/v2/acme/app/manifests/v3`, { method: 'PUT', body: Buffer.from(manifest), headers: { 'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json', ...bearer(bobJwt) } })
    expect(await errorOf(denied)).toMatchObject({ status: 403, code: 'DENIED' })
  })

  it('token endpoint: wrong credentials 401 (audited), service mismatch 400, the OAuth2 form, no refresh tokens', async () => {
    // (earlier tests failed sign-ins too: a revoked token as a password)
    const since = (await reg.stack.db.auditEvent.aggregate({ _max: { id: true } }))._max.id ?? 0
    const signIns = () => reg.stack.db.auditEvent.findMany({ where: { action: 'session.sign-in', id: { gt: since } }, orderBy: { id: 'asc' } })
    const wrong = await fetch(`${reg.url}/v2/token?service=stowage&scope=repository:acme/app:pull`, { headers: basic('alice', 'not the password') })
    expect(wrong.status).toBe(401)
    expect((await wrong.json()).errors[0]).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringMatching(/wrong user name or password/) })
    const failed = await signIns()
    expect(failed.map((e) => [e.outcome, e.actor, JSON.parse(e.detail!)])).toEqual([['failed', 'alice', { via: 'registry-token' }]])
    expect(JSON.stringify(failed)).not.toContain('not the password')

    const mismatch = await fetch(`${reg.url}/v2/token?service=elsewhere`, { headers: basic('alice') })
    expect(mismatch.status).toBe(400)
    expect(await fetch(`${reg.url}/v2/token?account=bob&service=stowage`, { headers: basic('alice') }).then((r) => r.status)).toBe(400)

    const form = (fields: Record<string, string>) =>
      fetch(`${reg.url}/v2/token`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() })
    const posted = await form({ grant_type: 'password', username: 'alice', password: PASSWORD, service: 'stowage', scope: 'repository:acme/app:pull,push registry:catalog:*', client_id: 'test' })
    expect(posted.status).toBe(200)
    const body = await posted.json()
    expect(body).toMatchObject({ expires_in: 300, issued_at: expect.any(String) })
    expect(claimsOf(body.access_token).access).toHaveLength(2)
    const refresh = await form({ grant_type: 'refresh_token', refresh_token: 'x', service: 'stowage' })
    expect(refresh.status).toBe(400)
    expect((await refresh.json()).error).toBe('unsupported_grant_type')
    expect((await form({ grant_type: 'password', username: 'alice', password: 'nope', service: 'stowage' })).status).toBe(401)

    // only failures are logged: the successful logins and tokens above added no sign-in event
    expect((await signIns()).map((e) => [e.outcome, e.actor])).toEqual([
      ['failed', 'alice'],
      ['failed', 'alice'],
    ])
  })

  it('throttled sign-ins: 429 with Retry-After from the token endpoint and from /v2/ with Basic', async () => {
    reg.stack.auth!.signInThrottle = {
      before: async () => {
        throw new ThrottledError(7)
      },
      failed: async () => {},
      succeeded: async () => {},
    }
    try {
      const token = await fetch(`${reg.url}/v2/token?service=stowage`, { headers: basic('alice') })
      expect([token.status, token.headers.get('retry-after'), (await token.json()).errors[0].code]).toEqual([429, '7', 'TOOMANYREQUESTS'])
      const direct = await manifestOf(basic('alice'))
      expect(direct.headers.get('retry-after')).toBe('7')
      expect(await errorOf(direct)).toMatchObject({ status: 429, code: 'TOOMANYREQUESTS' })
    } finally {
      delete reg.stack.auth!.signInThrottle
    }
  })

  it('/v2/ accepts Basic credentials directly; wrong ones get the challenge', async () => {
    expect((await manifestOf(basic('alice'))).status).toBe(200)
    const res = await manifestOf(basic('alice', 'wrong'))
    expect(await errorOf(res)).toMatchObject({ status: 401, code: 'UNAUTHORIZED' })
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm=/)
  })

  it('mounts a blob only from a repository the caller may read; /v2/ deletions are audited', async () => {
    const secret = randomBytes(1000)
    const up = await request(`${reg.url}/v2/globex/secret/blobs/uploads/?digest=${sha256(secret)}`, { method: 'POST', body: secret, headers: basic('carol') })
    expect(up.status).toBe(201)
    const steal = await fetch(`${reg.url}/v2/acme/app/blobs/uploads/?mount=${sha256(secret)}&from=globex/secret`, { method: 'POST', headers: basic('alice') })
    expect(steal.status).toBe(202) // a plain upload session instead of the mount
    expect((await fetch(`${reg.url}/v2/acme/app/blobs/${sha256(secret)}`, { method: 'HEAD', headers: basic('alice') })).status).toBe(404)

    const own = randomBytes(1000)
    expect((await request(`${reg.url}/v2/acme/app/blobs/uploads/?digest=${sha256(own)}`, { method: 'POST', body: own, headers: basic('alice') })).status).toBe(201)
    const mounted = await fetch(`${reg.url}/v2/acme/other/blobs/uploads/?mount=${sha256(own)}&from=acme/app`, { method: 'POST', headers: basic('alice') })
    expect(mounted.status).toBe(201)

    expect((await fetch(`${reg.url}/v2/acme/other/blobs/${sha256(own)}`, { method: 'DELETE', headers: basic('alice') })).status).toBe(202)
    expect((await fetch(`${reg.url}/v2/acme/app/manifests/v3`, { method: 'DELETE', headers: basic('alice') })).status).toBe(202)
    const digest = (await manifestOf(basic('alice'))).headers.get('docker-content-digest')!
    expect((await fetch(`${reg.url}/v2/acme/app/manifests/${digest}`, { method: 'DELETE', headers: basic('alice') })).status).toBe(202)
    const events = await reg.stack.db.auditEvent.findMany({ where: { action: { in: ['blob.delete', 'tag.delete', 'manifest.delete'] } }, orderBy: { id: 'asc' } })
    expect(events.map((e) => [e.action, e.actor, e.organization, e.target])).toEqual([
      ['blob.delete', 'alice', 'acme', `acme/other@${sha256(own)}`],
      ['tag.delete', 'alice', 'acme', 'acme/app:v3'],
      ['manifest.delete', 'alice', 'acme', `acme/app@${digest}`],
    ])
  })
})
