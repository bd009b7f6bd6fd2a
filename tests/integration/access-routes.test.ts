// Every route the server has, walked with every kind of caller: the console API's route table
// (lib/http/console-api.ts apiRoutes) and the registry API's (lib/oci/route-table.ts), so a new route is
// tested the day it is added. Callers: anonymous, a member of another organization, and pull, push and
// owner members of the route's organization, and an administrator. Each must get what the route's
// declared audience says: refused callers 401 (no credentials) or 403 (signed in, not allowed), allowed
// callers anything but 401/403 (a 400 for an empty body or a 404 for a sample that does not exist is an
// answer past authorization).
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { Readable } from 'node:stream'
import { providers } from '../helpers/stack'
import { startRegistry, type Registry } from '../helpers/http-stack'
import { seedUser, seedOrganization, basic } from '../helpers/accounts'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { apiRoutes } from '../../lib/http/console-api'
import type { Audience } from '../../lib/http/api-routes'
import { registryEndpoints, uploadSessionSample } from '../../lib/oci/route-table'
import { importArchive } from '../../lib/archive/import-archive'
import type { Role } from '../../lib/auth/roles'

type Caller = 'anonymous' | 'outsider' | 'puller' | 'pusher' | 'owner' | 'admin'
const CALLERS: Caller[] = ['anonymous', 'outsider', 'puller', 'pusher', 'owner', 'admin']
const RANK: Record<Caller, number> = { anonymous: 0, outsider: 0, puller: 1, pusher: 2, owner: 3, admin: 4 }
const NEEDS: Record<Audience, number> = { anyone: -1, 'signed-in': 0, pull: 1, push: 2, owner: 3, admin: 4 }
const MEMBERS: Record<string, Role> = { puller: 'pull', pusher: 'push', owner: 'owner' }

const allowed = (caller: Caller, audience: Audience) => (audience === 'anyone' ? true : audience === 'signed-in' ? caller !== 'anonymous' : RANK[caller] >= NEEDS[audience])

/** LAYER in a sample path: the layer of acme/app:v1 (set when it is imported) */
let layerDigest = ''

type Probe = { method: string; path: string; audience: Audience; source: string }

function probes(): Probe[] {
  const fill = (p: string) => p.replaceAll('LAYER', layerDigest).replaceAll('REPO', 'acme/app').replaceAll('ORG', 'acme').replaceAll('USER', 'puller')
  const list: Probe[] = apiRoutes.map((r) => ({ method: r.method, path: fill(r.sample), audience: r.audience, source: `api ${r.method} ${r.pattern}` }))
  for (const [kind, e] of [...Object.entries(registryEndpoints), ['upload session', uploadSessionSample] as const]) {
    for (const [method, audience] of Object.entries(e.methods)) list.push({ method, path: fill(e.sample), audience, source: `v2 ${kind}` })
  }
  return list
}

describe.each(providers)('access to every route (%s)', (provider) => {
  let reg: Registry
  beforeAll(async () => {
    reg = await startRegistry(provider, { access: 'enforced' })
    const db = reg.stack.db
    await seedUser(db, 'admin', { admin: true })
    for (const u of ['outsider', 'puller', 'pusher', 'owner']) await seedUser(db, u)
    // no rate limit: the walk sends bursts of writes
    await seedOrganization(db, 'acme', MEMBERS)
    await db.organization.update({ where: { name: 'acme' }, data: { pushRatePerSecond: 0 } })
    await seedOrganization(db, 'globex', { outsider: 'owner' })
    const { archive, diffIds } = await makeDockerArchive({ repoTags: ['acme/app:v1'], layers: [await makeLayer(2048)] })
    layerDigest = diffIds[0]
    await importArchive({ ...reg.stack, auth: { openAccess: true } }, { body: Readable.from([archive]), filename: 'a.tar', repository: 'acme/app', tag: 'v1' })
  }, 120_000)
  afterAll(async () => {
    await reg?.close()
  })

  // an allowed call may change what later calls see (remove a member, demote a user): put it back
  async function reseed() {
    const db = reg.stack.db
    const acme = await db.organization.findUniqueOrThrow({ where: { name: 'acme' } })
    for (const [name, role] of Object.entries(MEMBERS)) {
      const u = await db.user.findUniqueOrThrow({ where: { name } })
      await db.membership.upsert({ where: { organizationId_userId: { organizationId: acme.id, userId: u.id } }, create: { organizationId: acme.id, userId: u.id, role }, update: { role } })
      await db.user.update({ where: { id: u.id }, data: { admin: false } })
    }
    await db.user.update({ where: { name: 'admin' }, data: { admin: true } })
  }

  async function call(p: Probe, caller: Caller) {
    const headers: Record<string, string> = caller === 'anonymous' ? {} : basic(caller)
    const body = ['GET', 'HEAD', 'DELETE'].includes(p.method) ? undefined : '{}'
    if (body) headers['Content-Type'] = 'application/json'
    const res = await fetch(reg.url + p.path, { method: p.method, headers, body })
    await res.arrayBuffer().catch(() => undefined)
    return res.status
  }

  it('has routes to walk (the table is not empty)', () => {
    expect(probes().length).toBeGreaterThan(15)
  })

  it('refuses every caller the route does not admit: 401 without credentials, 403 when signed in', async () => {
    const wrong: string[] = []
    for (const p of probes()) {
      for (const caller of CALLERS) {
        if (allowed(caller, p.audience)) continue
        const status = await call(p, caller)
        const want = caller === 'anonymous' ? 401 : 403
        if (status !== want) wrong.push(`${p.method} ${p.path} (${p.source}) as ${caller}: ${status}, want ${want}`)
      }
    }
    expect(wrong).toEqual([])
  }, 180_000)

  it('lets every admitted caller past authorization', async () => {
    const wrong: string[] = []
    for (const p of probes()) {
      for (const caller of CALLERS) {
        if (!allowed(caller, p.audience)) continue
        await reseed()
        const status = await call(p, caller)
        if (status === 401 || status === 403) wrong.push(`${p.method} ${p.path} (${p.source}) as ${caller}: ${status}`)
      }
    }
    expect(wrong).toEqual([])
  }, 180_000)
})
