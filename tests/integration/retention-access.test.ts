// Who may set, read, delete and run retention policies (real access rules): an organization's owners
// and administrators; push and pull members, other organizations' owners and access tokens may not.
// Every change is in the audit log under its caller's name.
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { Readable } from 'node:stream'
import { providers } from '../helpers/stack'
import { startRegistry, type Registry } from '../helpers/http-stack'
import { seedUser, seedOrganization, seedToken, basic, bearer } from '../helpers/accounts'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { importArchive } from '../../lib/archive/import-archive'

describe.each(providers)('retention policy access (%s)', (provider) => {
  let reg: Registry
  beforeAll(async () => {
    reg = await startRegistry(provider, { access: 'enforced' })
    const db = reg.stack.db
    await seedUser(db, 'admin', { admin: true })
    for (const u of ['owner', 'pusher', 'puller', 'stranger']) await seedUser(db, u)
    await seedOrganization(db, 'acme', { owner: 'owner', pusher: 'push', puller: 'pull' })
    await seedOrganization(db, 'globex', { stranger: 'owner' })
    const { archive } = await makeDockerArchive({ repoTags: ['acme/app:v1', 'acme/app:v2'], layers: [await makeLayer(1024)] })
    await importArchive({ ...reg.stack, auth: { openAccess: true } }, { body: Readable.from([archive]), filename: 'a.tar' })
  }, 120_000)
  afterAll(async () => {
    await reg?.close()
  })

  const call = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
    const res = await fetch(reg.url + path, { method, headers: { ...headers, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) })
    return { status: res.status, body: (await res.json().catch(() => null)) as any }
  }

  it('lets only owners of the organization and administrators change or read a policy', async () => {
    const policy = { keepLatest: 5 }
    for (const path of ['/api/repositories/acme/app/retention', '/api/organizations/acme/retention']) {
      expect((await call('PUT', path, {}, policy)).status).toBe(401)
      for (const user of ['pusher', 'puller', 'stranger']) {
        expect((await call('PUT', path, basic(user), policy)).status, `${user} PUT ${path}`).toBe(403)
        expect((await call('GET', path, basic(user))).status, `${user} GET ${path}`).toBe(403)
        expect((await call('DELETE', path, basic(user))).status, `${user} DELETE ${path}`).toBe(403)
      }
      // an owner's access token is for pushing and pulling, not for managing the organization
      expect((await call('PUT', path, bearer(await seedToken(reg.stack.db, 'owner', { access: 'push' })), policy)).status).toBe(403)
      expect((await call('PUT', path, basic('owner'), policy)).body).toMatchObject({ keepLatest: 5 })
      expect((await call('PUT', path, basic('admin'), { keepLatest: 6 })).body).toMatchObject({ keepLatest: 6 })
      expect((await call('GET', path, basic('owner'))).body).toMatchObject({ keepLatest: 6 })
    }
    expect(await reg.stack.db.retentionPolicy.count()).toBe(2)
    const set = await reg.stack.db.auditEvent.findMany({ where: { action: 'retention.set' }, orderBy: { id: 'asc' } })
    expect(set.map((a) => [a.actor, a.organization, a.target])).toEqual([
      ['owner', 'acme', 'acme/app'],
      ['admin', 'acme', 'acme/app'],
      ['owner', 'acme', 'acme'],
      ['admin', 'acme', 'acme'],
    ])
  })

  it('lets owners run the policies of their organization or repository, administrators every policy', async () => {
    // the organization's run applies its policy (no repository left to it) and acme/app's own
    const runs = { '/api/retention/run?dryRun=true&organization=acme': 2, '/api/retention/run?dryRun=true&repository=acme/app': 1 }
    for (const [path, policies] of Object.entries(runs)) {
      expect((await call('POST', path, {})).status).toBe(401)
      for (const user of ['pusher', 'puller', 'stranger']) expect((await call('POST', path, basic(user))).status, `${user} ${path}`).toBe(403)
      expect((await call('POST', path, basic('owner'))).body).toMatchObject({ dryRun: true, policies, kept: 2, deleted: [] })
    }
    expect((await call('POST', '/api/retention/run?dryRun=true', basic('owner'))).status).toBe(403)
    expect((await call('POST', '/api/retention/run?dryRun=true', basic('admin'))).body).toMatchObject({ dryRun: true, policies: 2 })

    expect((await call('PUT', '/api/repositories/acme/app/retention', basic('owner'), { keepLatest: 1 })).status).toBe(200)
    const real = await call('POST', '/api/retention/run?dryRun=false&repository=acme/app', basic('owner'))
    expect(real.body).toMatchObject({ dryRun: false, policies: 1, kept: 1 })
    expect(real.body.deleted).toHaveLength(1)
    const audit = await reg.stack.db.auditEvent.findFirst({ where: { action: 'retention.run' }, orderBy: { id: 'desc' } })
    expect(audit).toMatchObject({ actor: 'owner', organization: 'acme', target: 'acme/app', outcome: 'ok' })
    expect(JSON.parse(audit!.detail!)).toMatchObject({ trigger: 'manual', tagsDeleted: 1 })
  })

  it('lets owners delete a policy, in the audit log', async () => {
    expect((await call('DELETE', '/api/organizations/acme/retention', basic('owner'))).body).toMatchObject({ scope: 'organization', keepLatest: 6 })
    expect((await call('GET', '/api/organizations/acme/retention', basic('owner'))).status).toBe(404)
    const audit = await reg.stack.db.auditEvent.findFirst({ where: { action: 'retention.delete' }, orderBy: { id: 'desc' } })
    expect(audit).toMatchObject({ actor: 'owner', organization: 'acme', target: 'acme' })
  })
})
