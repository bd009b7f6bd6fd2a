// Uploads into organizations (issue 10): ?organization= places every archive name under it (another
// registry's host dropped, a name already there kept); without it the names' first segment is the
// organization. Every target is decided before anything is committed: a refused upload keeps nothing.
// An administrator's upload or push creates a missing organization; anyone else is told, without
// learning whether it exists, that they may not push there.
import { describe, it, expect, beforeAll } from 'vitest'
import { registryForTests } from '../helpers/http-stack'
import { providers, snapshot } from '../helpers/stack'
import { packToBuffer } from '../helpers/make-archive'
import { tarFiles } from '../helpers/read-tar'
import { makeMultiPlatformArchive } from '../helpers/make-oci-archive'
import { seedTenants, uploadAs, archiveOf, pushAs, storedNames, password } from './tenancy-support'

const NOT_YOURS = (org: string) => `organization "${org}" does not exist or you may not push to it`

describe.each(providers)('uploads into organizations (%s)', (provider) => {
  const reg = registryForTests(provider, { access: 'enforced', timeout: 120_000 })
  beforeAll(async () => seedTenants(reg.stack))

  it('places every name of the archive under ?organization= (host dropped, acme/… kept)', async () => {
    const { archive } = await archiveOf(['registry.example.com:5000/team/app:v1', 'acme/x:1', 'nginx:latest', 'docker.io/library/redis:7'])
    const dry = await uploadAs(reg.url, 'alice', archive, '?organization=acme&dryRun=true')
    expect(dry.status).toBe(200)
    const expected = ['acme/team/app:v1', 'acme/x:1', 'acme/nginx:latest', 'acme/redis:7']
    expect(dry.body.tags.map((t: any) => `${t.repository}:${t.tag}`)).toEqual(expected)
    expect(await storedNames(reg.stack)).toEqual([]) // the dry run stored nothing

    const res = await uploadAs(reg.url, password('alice'), archive, '?organization=acme') // with her password, as curl would
    expect(res.status).toBe(201)
    expect(res.body.tags.map((t: any) => `${t.repository}:${t.tag}`)).toEqual(expected)
    expect(await storedNames(reg.stack)).toEqual([...expected].sort())
    const audit = await reg.stack.db.auditEvent.findFirst({ where: { action: 'upload', actor: 'alice', outcome: 'ok' }, orderBy: { id: 'desc' } })
    expect(audit).toMatchObject({ organization: 'acme', target: expected.join(', ') })
    expect(JSON.parse(audit!.detail!).bytes).toBe(archive.length)
  })

  it('?repository= with ?organization= is placed under the organization; without it the name says the organization', async () => {
    const { archive } = await archiveOf(['elsewhere.io/some/thing:9'])
    const placed = await uploadAs(reg.url, 'alice', archive, '?organization=acme&repository=svc/api&tag=2')
    expect(placed.status).toBe(201)
    expect(placed.body.tags.map((t: any) => `${t.repository}:${t.tag}`)).toEqual(['acme/svc/api:2'])
    const direct = await uploadAs(reg.url, 'alice', (await archiveOf(['acme/direct:1'])).archive)
    expect(direct.status).toBe(201)
    expect(direct.body.tags[0]).toMatchObject({ repository: 'acme/direct', tag: '1' })
  })

  it('refuses a pull-only member and keeps nothing, before and after reading the archive', async () => {
    const before = await snapshot(reg.stack)
    const { archive } = await archiveOf(['team/app:1'])
    const upfront = await uploadAs(reg.url, 'paul', archive, '?organization=acme')
    expect(upfront.status).toBe(403)
    expect(upfront.body.error.code).toBe('DENIED')
    // no target in the query: decided once the names are read, after layers were staged
    const late = await uploadAs(reg.url, 'paul', (await archiveOf(['acme/paul-was-here:1'], 300_000)).archive)
    expect(late.status).toBe(403)
    expect(late.body.error).toMatchObject({ code: 'DENIED', message: expect.stringContaining('acme/paul-was-here') })
    expect(await snapshot(reg.stack)).toEqual(before)
    const audit = await reg.stack.db.auditEvent.findFirst({ where: { action: 'upload', actor: 'paul' }, orderBy: { id: 'desc' } })
    expect(audit).toMatchObject({ outcome: 'denied', organization: 'acme', target: 'acme/paul-was-here:1' })
  })

  it('a member of another organization and a non-admin naming a missing one get the same refusal', async () => {
    const before = await snapshot(reg.stack)
    const { archive } = await archiveOf(['team/app:1'])
    for (const [query, org] of [
      ['?organization=acme', 'acme'],
      ['?organization=ghost', 'ghost'],
      ['?repository=acme/app', 'acme'],
    ]) {
      const res = await uploadAs(reg.url, 'bob', archive, query)
      expect(res.status, query).toBe(403)
      expect(res.body.error).toEqual({ code: 'DENIED', message: NOT_YOURS(org) })
    }
    const late = await uploadAs(reg.url, 'bob', (await archiveOf(['ghost/app:1'])).archive)
    expect(late.body.error).toEqual({ code: 'DENIED', message: NOT_YOURS('ghost') })
    expect(await reg.stack.db.organization.findUnique({ where: { name: 'ghost' } })).toBeNull()
    expect(await snapshot(reg.stack)).toEqual(before)
    // anonymous: sign in first
    expect((await uploadAs(reg.url, null, archive, '?organization=acme')).status).toBe(401)
  })

  it('refuses the whole multi-image archive when one image is named into an organization the user may not push to', async () => {
    const before = await snapshot(reg.stack)
    const { archive } = await archiveOf(['acme/fine:1'], 1000)
    const second = await archiveOf(['beta/not-alice:1'], 1000)
    // one archive, two images: the second image's entries appended with its own manifest.json entry
    const multi = await twoImageArchive(archive, second.archive)
    const res = await uploadAs(reg.url, 'alice', multi)
    expect(res.status).toBe(403)
    expect(res.body.error).toEqual({ code: 'DENIED', message: NOT_YOURS('beta') })
    expect(await snapshot(reg.stack)).toEqual(before)
    // the same archive is fine for someone who may push to both
    expect((await uploadAs(reg.url, 'admin', multi)).status).toBe(201)
  })

  it("an administrator's upload and /v2 push create a missing organization; nobody else's does", async () => {
    const res = await uploadAs(reg.url, 'admin', (await archiveOf(['fresh-org/app:1'])).archive)
    expect(res.status).toBe(201)
    expect(await reg.stack.db.organization.findUnique({ where: { name: 'fresh-org' } })).not.toBeNull()
    const placed = await uploadAs(reg.url, 'admin', (await archiveOf(['x/y:1'])).archive, '?organization=placed-org')
    expect(placed.status).toBe(201)
    expect(placed.body.tags[0].repository).toBe('placed-org/x/y')

    const pushed = await pushAs(reg.url, 'admin', 'pushed-org/app', 'v1')
    expect(pushed.statuses).toEqual([201, 201, 201])
    expect(await reg.stack.db.organization.findUnique({ where: { name: 'pushed-org' } })).not.toBeNull()
    const created = await reg.stack.db.auditEvent.findMany({ where: { action: 'organization.create' }, select: { organization: true } })
    expect(created.map((c) => c.organization).sort()).toEqual(expect.arrayContaining(['fresh-org', 'placed-org', 'pushed-org']))

    const refused = await pushAs(reg.url, 'alice', 'other-new-org/app', 'v1')
    expect(refused.statuses).toEqual([403])
    expect(refused.error.code).toBe('DENIED')
    expect(await reg.stack.db.organization.findUnique({ where: { name: 'other-new-org' } })).toBeNull()
    // a name that cannot be an organization is refused, not created
    const reserved = await uploadAs(reg.url, 'admin', (await archiveOf(['v2/app:1'])).archive)
    expect(reserved.status).toBe(400)
    expect(reserved.body.error.code).toBe('NAME_INVALID')
  })

  it('a multi-platform archive: its one name is placed; without a target it is decided once read, before the commit', async () => {
    const { archive } = await makeMultiPlatformArchive({
      reference: 'ghcr.io/team/multi:2.0',
      platforms: [
        { architecture: 'amd64', layers: [{ size: 3_000, gzip: true }] },
        { architecture: 'arm64', layers: [{ size: 3_000, gzip: false }] },
      ],
    })
    const before = await snapshot(reg.stack)
    const refused = await uploadAs(reg.url, 'paul', archive)
    expect(refused.status).toBe(403) // ghcr.io/… names the organization "ghcr.io", missing: same refusal
    expect(refused.body.error).toEqual({ code: 'DENIED', message: NOT_YOURS('ghcr.io') })
    expect(await snapshot(reg.stack)).toEqual(before)
    const res = await uploadAs(reg.url, 'alice', archive, '?organization=acme')
    expect(res.status).toBe(201)
    expect(res.body.index.names).toEqual([{ repository: 'acme/team/multi', tag: '2.0' }])
  })

  it('concurrent administrator uploads into the same missing organization both succeed', async () => {
    const [a, b] = await Promise.all([
      uploadAs(reg.url, 'admin', (await archiveOf(['race-org/a:1'])).archive),
      uploadAs(reg.url, 'admin', (await archiveOf(['race-org/b:1'])).archive),
    ])
    expect([a.status, b.status]).toEqual([201, 201])
    expect(await reg.stack.db.organization.count({ where: { name: 'race-org' } })).toBe(1)
  })
})

/** Two single-image docker-save archives merged into one archive holding both images. */
async function twoImageArchive(first: Buffer, second: Buffer): Promise<Buffer> {
  const a = await tarFiles(first)
  const b = await tarFiles(second)
  const manifest = [...JSON.parse(a.get('manifest.json')!.toString()), ...JSON.parse(b.get('manifest.json')!.toString())]
  const entries = new Map([...a, ...b])
  entries.set('manifest.json', Buffer.from(JSON.stringify(manifest)))
  return packToBuffer([...entries].map(([name, data]) => ({ name, data })))
}
