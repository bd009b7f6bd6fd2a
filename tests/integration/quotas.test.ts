// Organization quotas (issue 10): repositories, tags per repository and bytes (uncompressed, each
// distinct blob once per organization). Off by default; an upload or push that would exceed one is
// refused with what/limit/usage (console API 403 QUOTA_EXCEEDED, /v2 403 DENIED "quota exceeded: …")
// and keeps nothing; one organization's quota does not limit another; concurrent uploads cannot
// together pass a quota that each alone would fit.
import { describe, it, expect, beforeAll } from 'vitest'
import { registryForTests } from '../helpers/http-stack'
import { providers, snapshot } from '../helpers/stack'
import { seedOrganization } from '../helpers/accounts'
import { makeLayer } from '../helpers/make-archive'
import { organizationUsage } from '../../lib/accounts/usage'
import { seedTenants, uploadAs, archiveOf, pushAs, storedNames } from './tenancy-support'

describe.each(providers)('organization quotas (%s)', (provider) => {
  const reg = registryForTests(provider, { access: 'enforced', timeout: 120_000 })
  const quota = (org: string, data: { quotaRepositories?: number | null; quotaTagsPerRepository?: number | null; quotaBytes?: bigint | null }) =>
    reg.stack.db.organization.update({ where: { name: org }, data })
  const upload = async (tags: string[], query = '', layerBytes = 1500) => uploadAs(reg.url, 'alice', (await archiveOf(tags, layerBytes)).archive, query)

  beforeAll(async () => {
    await seedTenants(reg.stack)
    for (const org of ['qr', 'qt', 'qb', 'qc', 'free']) await seedOrganization(reg.stack.db, org, { alice: 'push' })
  })

  it('quotas are off by default', async () => {
    for (const n of ['a', 'b', 'c']) expect((await upload([`free/${n}:1`, `free/${n}:2`, `free/${n}:3`])).status).toBe(201)
  })

  it('repositories: an upload or push creating one too many is refused; other organizations and existing repositories are not limited', async () => {
    await quota('qr', { quotaRepositories: 2 })
    expect((await upload(['qr/a:1'])).status).toBe(201)
    expect((await upload(['qr/b:1'])).status).toBe(201)
    const before = await snapshot(reg.stack)
    const refused = await upload(['qr/c:1'], '', 200_000)
    expect(refused.status).toBe(403)
    expect(refused.body.error).toMatchObject({ code: 'QUOTA_EXCEEDED', message: expect.stringMatching(/^quota exceeded: organization "qr" may have 2 repositories and has 2/), detail: { organization: 'qr', what: 'repositories', limit: 2, usage: 2 } })
    // known from the query: refused before the archive is read
    const early = await upload(['x:1'], '?organization=qr&repository=d')
    expect(early.body.error).toMatchObject({ code: 'QUOTA_EXCEEDED', detail: { what: 'repositories' } })
    expect(await snapshot(reg.stack)).toEqual(before)

    const pushed = await pushAs(reg.url, 'alice', 'qr/pushed', 'v1')
    expect(pushed.statuses).toEqual([201, 201, 403])
    expect(pushed.error).toMatchObject({ code: 'DENIED', message: expect.stringMatching(/^quota exceeded: organization "qr" may have 2 repositories/) })
    expect(await storedNames(reg.stack)).not.toContain('qr/pushed:v1')

    expect((await upload(['qr/a:2'])).status).toBe(201) // a new tag in an existing repository
    expect((await pushAs(reg.url, 'alice', 'qr/b', 'v2')).statuses).toEqual([201, 201, 201])
    expect((await upload(['free/d:1', 'free/e:1'])).status).toBe(201) // another organization: unlimited
    expect((await pushAs(reg.url, 'alice', 'free/pushed', 'v1')).statuses).toEqual([201, 201, 201])
  })

  it('tags per repository: a new tag past the limit is refused, moving an existing tag is not', async () => {
    await quota('qt', { quotaTagsPerRepository: 2 })
    expect((await upload(['qt/app:1', 'qt/app:2'])).status).toBe(201)
    const before = await snapshot(reg.stack)
    const refused = await upload(['qt/app:3'])
    expect(refused.status).toBe(403)
    expect(refused.body.error).toMatchObject({ code: 'QUOTA_EXCEEDED', detail: { what: 'tagsPerRepository', limit: 2, usage: 2, adding: 1, repository: 'qt/app' } })
    expect((await upload(['x:9'], '?organization=qt&repository=app&tag=9')).body.error.code).toBe('QUOTA_EXCEEDED')
    expect(await snapshot(reg.stack)).toEqual(before)
    expect((await upload(['qt/app:1'])).body.tags[0]).toMatchObject({ status: 'updated' })
    expect((await upload(['qt/other:1', 'qt/other:2'])).status).toBe(201) // per repository

    const pushed = await pushAs(reg.url, 'alice', 'qt/app', 'v3')
    expect(pushed.statuses).toEqual([201, 201, 403])
    expect(pushed.error.message).toMatch(/^quota exceeded: repository "qt\/app" of organization "qt" may have 2 tags/)
    expect((await pushAs(reg.url, 'alice', 'qt/app', '2')).statuses).toEqual([201, 201, 201])
  })

  it('bytes: each distinct blob counts once per organization; an upload or blob push past the limit keeps nothing', async () => {
    const layer = await makeLayer(20_000)
    const first = await uploadAs(reg.url, 'alice', (await archiveOf(['qb/a:1'], 0, layer)).archive)
    expect(first.status).toBe(201)
    const used = (await organizationUsage(reg.stack.db, 'qb')).bytes
    expect(used).toBeGreaterThan(20_000)
    // the same layer (and config) in a second repository adds nothing
    expect((await uploadAs(reg.url, 'alice', (await archiveOf(['qb/b:1'], 0, layer)).archive)).status).toBe(201)
    expect((await organizationUsage(reg.stack.db, 'qb')).bytes).toBe(used)

    await quota('qb', { quotaBytes: BigInt(used + 5_000) })
    const before = await snapshot(reg.stack)
    const refused = await upload(['qb/c:1'], '', 30_000)
    expect(refused.status).toBe(403)
    expect(refused.body.error).toMatchObject({ code: 'QUOTA_EXCEEDED', detail: { what: 'bytes', limit: used + 5_000, usage: used } })
    expect(await snapshot(reg.stack)).toEqual(before)
    // the stored layer again, in a new repository: nothing new to count
    expect((await uploadAs(reg.url, 'alice', (await archiveOf(['qb/c:1'], 0, layer)).archive)).status).toBe(201)

    const beforePush = await snapshot(reg.stack)
    const pushed = await pushAs(reg.url, 'alice', 'qb/pushed', 'v1', { layerBytes: 8_000 })
    expect(pushed.statuses).toEqual([403])
    expect(pushed.error).toMatchObject({ code: 'DENIED', message: expect.stringMatching(/^quota exceeded: organization "qb" may store/) })
    expect(await reg.stack.db.blobUploadSession.count()).toBe(0)
    expect(await snapshot(reg.stack)).toEqual(beforePush)
    // a small blob still fits, and the same bytes in another organization are that organization's
    expect((await pushAs(reg.url, 'alice', 'qb/pushed', 'v1', { layerBytes: 500 })).statuses).toEqual([201, 201, 201])
    expect((await pushAs(reg.url, 'alice', 'free/big', 'v1', { layerBytes: 8_000 })).statuses).toEqual([201, 201, 201])
  })

  it('concurrent uploads cannot together exceed a quota', async () => {
    await quota('qc', { quotaRepositories: 2 })
    const archives = await Promise.all([1, 2, 3, 4, 5].map((n) => archiveOf([`qc/r${n}:1`], 50_000)))
    const results = await Promise.all(archives.map(({ archive }) => uploadAs(reg.url, 'alice', archive)))
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 403, 403, 403])
    expect(results.filter((r) => r.status === 403).every((r) => r.body.error.code === 'QUOTA_EXCEEDED')).toBe(true)
    expect((await organizationUsage(reg.stack.db, 'qc')).repositories).toBe(2)
    expect(await reg.stack.db.stagedObject.count()).toBe(0)
  })

  it('usage counts repositories that hold an image, their tags, and distinct bytes', async () => {
    // qt: app (tags 1, 2) and other (1, 2); the refused pushes and uploads added nothing
    expect(await organizationUsage(reg.stack.db, 'qt')).toMatchObject({ repositories: 2, tags: 4 })
    expect(await organizationUsage(reg.stack.db, 'nobody')).toEqual({ repositories: 0, tags: 0, bytes: 0 })
  })
})
