// Retention policies end to end on a real server (SQLite and PostgreSQL, s3rver), images pushed through
// /v2/: the keepLatest + keepPattern rule on a repository of 200 tags (dry run, then the real run, then
// pulls), the untaggedDays rule (ages made old in the database), which policy applies where, input
// errors, the lease, and the conditional delete of a tag that moved after it was planned.
import { describe, it, expect } from 'vitest'
import { randomBytes } from 'node:crypto'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { providers } from '../helpers/stack'
import { registryForTests } from '../helpers/http-stack'
import { request, sha256, oneLayerImage, OCI_MANIFEST, reopen } from './oci-support'
import { runRetention, type RetentionDeletion } from '../../lib/retention/run-retention'
import { acquireLease } from '../../lib/db/leases'
import { deleteTagsIfUnchanged, deleteUntaggedManifest } from '../../lib/retention/deletions'
import { findUntaggedManifests } from '../../lib/gc/untagged'
import { listUntaggedImages } from '../../lib/console/untagged-images'

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
const DAY_MS = 86_400_000

type Pushed = { digest: string; manifest: Buffer }

/** Pushes blobs and manifests through /v2/ of one registry; every image shares the repository's one layer. */
function pusher(url: () => string) {
  const layers = new Map<string, Buffer>()
  const blob = async (repo: string, bytes: Buffer) => {
    const res = await request(`${url()}/v2/${repo}/blobs/uploads/?digest=${sha256(bytes)}`, { method: 'POST', body: bytes })
    expect(res.status).toBe(201)
  }
  const manifest = async (repo: string, reference: string | null, body: Buffer, mediaType = OCI_MANIFEST): Promise<Pushed> => {
    const res = await request(`${url()}/v2/${repo}/manifests/${reference ?? sha256(body)}`, { method: 'PUT', body, headers: { 'Content-Type': mediaType } })
    expect(res.status, await res.clone().text()).toBe(201)
    return { digest: sha256(body), manifest: body }
  }
  return {
    layerOf: (repo: string) => layers.get(repo)!,
    manifest,
    /** a distinct image (its config differs), tagged `reference` or pushed by digest (null) */
    async image(repo: string, reference: string | null, extra: Record<string, unknown> = {}): Promise<Pushed> {
      if (!layers.has(repo)) {
        layers.set(repo, randomBytes(1024))
        await blob(repo, layers.get(repo)!)
      }
      const { config, manifest: body } = oneLayerImage(layers.get(repo)!, { seed: randomBytes(8).toString('hex'), ...extra })
      await blob(repo, config)
      return manifest(repo, reference, body)
    },
  }
}

async function api(url: string, method: string, path: string, body?: unknown) {
  const res = await fetch(url + path, { method, headers: body === undefined ? {} : { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
  return { status: res.status, body: (await res.json().catch(() => null)) as any }
}

const byKey = (d: RetentionDeletion[]) => d.map((x) => `${x.repository} ${x.tag ?? '-'} ${x.digest} ${x.reason}`).sort()

describe.each(providers)('retention policies (%s)', (provider) => {
  const reg = registryForTests(provider, { timeout: 60_000 })
  const push = pusher(() => reg.url)
  const db = () => reg.stack.db

  async function repositoryId(name: string) {
    return (await db().repository.findUniqueOrThrow({ where: { name } })).id
  }

  /** Sets each tag's updatedAt: the order keepLatest ranks by. */
  async function setUpdatedAt(repo: string, times: Record<string, Date>) {
    const id = await repositoryId(repo)
    for (const [name, updatedAt] of Object.entries(times)) await db().tag.update({ where: { repositoryId_name: { repositoryId: id, name } }, data: { updatedAt } })
  }

  async function pulls(repo: string, tag: string, digest: string) {
    const res = await fetch(`${reg.url}/v2/${repo}/manifests/${tag}`, { headers: { Accept: OCI_MANIFEST } })
    if (res.status !== 200) return false
    const body = Buffer.from(await res.arrayBuffer())
    if (sha256(body) !== digest) return false
    const layer = push.layerOf(repo)
    const blob = await fetch(`${reg.url}/v2/${repo}/blobs/${sha256(layer)}`)
    return blob.status === 200 && Buffer.from(await blob.arrayBuffer()).equals(layer)
  }

  it('keeps the 10 newest tags and every release-* tag of 200: the dry run lists exactly what the real run deletes', async () => {
    const repo = 'big/app'
    const digests = new Map<string, string>()
    const names: string[] = []
    for (let i = 0; i < 200; i++) {
      const tag = i % 20 === 0 ? `release-${i}` : `build-${i}`
      names.push(tag)
      digests.set(tag, (await push.image(repo, tag)).digest)
    }
    // update times in an order unrelated to names and push order: (i × 7) mod 200 minutes after a base
    const base = Date.UTC(2026, 5, 1)
    const rank = (i: number) => (i * 7) % 200
    await setUpdatedAt(repo, Object.fromEntries(names.map((t, i) => [t, new Date(base + rank(i) * 60_000)])))
    const newestBuilds = names
      .map((t, i) => ({ t, r: rank(i) }))
      .filter((x) => !x.t.startsWith('release-'))
      .sort((a, b) => b.r - a.r)
      .slice(0, 10)
      .map((x) => x.t)
    const keep = new Set([...names.filter((t) => t.startsWith('release-')), ...newestBuilds])
    expect(keep.size).toBe(20)
    const expected = names.filter((t) => !keep.has(t)).map((t) => ({ repository: repo, tag: t, digest: digests.get(t)!, reason: 'keep-latest' as const }))

    expect((await api(reg.url, 'PUT', `/api/repositories/${repo}/retention`, { keepLatest: 10, keepPattern: 'release-*' })).status).toBe(200)
    const tagsBefore = await db().tag.count()
    const dry = await api(reg.url, 'POST', `/api/retention/run?dryRun=true&repository=${repo}`)
    expect(dry.status).toBe(200)
    expect(dry.body).toMatchObject({ dryRun: true, policies: 1, kept: 20 })
    expect(byKey(dry.body.deleted)).toEqual(byKey(expected))
    expect(await db().tag.count()).toBe(tagsBefore) // a dry run changes nothing
    expect(await db().tagEvent.count({ where: { source: 'retention' } })).toBe(0)

    const delay = monitorEventLoopDelay({ resolution: 10 })
    delay.enable()
    const real = await api(reg.url, 'POST', `/api/retention/run?dryRun=false&repository=${repo}`)
    delay.disable()
    console.log(`[${provider}] retention real run over 200 tags: event loop delay max ${(delay.max / 1e6).toFixed(1)} ms, p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms`)
    expect(real.status).toBe(200)
    expect(real.body).toMatchObject({ dryRun: false, policies: 1, kept: 20 })
    expect(byKey(real.body.deleted)).toEqual(byKey(expected))

    const left = await db().tag.findMany({ where: { repositoryId: await repositoryId(repo) }, select: { name: true } })
    expect(left.map((t) => t.name).sort()).toEqual([...keep].sort())
    for (const tag of keep) expect(await pulls(repo, tag, digests.get(tag)!), `${repo}:${tag} pulls`).toBe(true)
    for (const { tag } of expected.slice(0, 5)) expect((await fetch(`${reg.url}/v2/${repo}/manifests/${tag}`, { headers: { Accept: OCI_MANIFEST } })).status).toBe(404)
    // deleted tags are in the history like other deletes; the manifests stay (untagged) for the untaggedDays rule and GC
    expect(await db().tagEvent.count({ where: { source: 'retention', action: 'delete' } })).toBe(180)
    expect(await db().manifest.count({ where: { repositoryId: await repositoryId(repo) } })).toBe(200)
    const audit = await db().auditEvent.findFirst({ where: { action: 'retention.run' }, orderBy: { id: 'desc' } })
    expect(JSON.parse(audit!.detail!)).toMatchObject({ trigger: 'manual', tagsDeleted: 180, manifestsDeleted: 0 })

    // a second run finds nothing more to delete
    expect((await api(reg.url, 'POST', `/api/retention/run?dryRun=false&repository=${repo}`)).body).toMatchObject({ deleted: [], kept: 20 })
  }, 240_000)

  it('deletes manifests untagged for more than untaggedDays, and keeps referrers of live subjects and images an index lists', async () => {
    const repo = 'lab/app'
    const a = await push.image(repo, 'a')
    const b = await push.image(repo, 'b')
    const b2 = await push.image(repo, 'b') // moves b: b's first image is untagged from now on
    const c = await push.image(repo, null) // never tagged
    // a referrer of a (an SBOM-like artifact) and an image listed by a tagged index, both untagged
    const layer = push.layerOf(repo)
    const d = await push.manifest(
      repo,
      null,
      Buffer.from(JSON.stringify({ ...JSON.parse(oneLayerImage(layer).manifest.toString()), config: JSON.parse(a.manifest.toString()).config, subject: { mediaType: OCI_MANIFEST, digest: a.digest, size: a.manifest.length } })),
    )
    const e = await push.image(repo, null)
    const x = await push.manifest(repo, 'x', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: e.digest, size: e.manifest.length }] })), OCI_INDEX)
    const id = await repositoryId(repo)
    const rowOf = async (digest: string) => (await db().manifest.findUniqueOrThrow({ where: { repositoryId_digest: { repositoryId: id, digest } } })).id
    // the push path records an index's children (ManifestChild, branch gc-guards); make sure the row is there
    const [xId, eId] = [await rowOf(x.digest), await rowOf(e.digest)]
    if (!(await db().manifestChild.findUnique({ where: { parentId_childId: { parentId: xId, childId: eId } } }))) await db().manifestChild.create({ data: { parentId: xId, childId: eId } })

    expect((await api(reg.url, 'PUT', `/api/repositories/${repo}/retention`, { untaggedDays: 30 })).status).toBe(200)
    const age = async (days: number, where: { tag?: string } = {}) => {
      const at = new Date(Date.now() - days * DAY_MS)
      if (!where.tag) await db().manifest.updateMany({ where: { repositoryId: id }, data: { createdAt: at } })
      await db().tagEvent.updateMany({ where: { repositoryId: id, ...where }, data: { createdAt: at } })
    }
    const dryRun = async () => (await api(reg.url, 'POST', `/api/retention/run?dryRun=true&repository=${repo}`)).body
    const untagged = (...m: Pushed[]) => m.map((p) => `${repo} - ${p.digest} untagged`).sort()

    // all of it 20 days old: younger than 30 days
    await age(20)
    expect(byKey((await dryRun()).deleted)).toEqual([])
    // 40 days old, but tag b moved 1 day ago: b's first image is untagged since yesterday
    await age(40)
    await age(1, { tag: 'b' })
    expect(byKey((await dryRun()).deleted)).toEqual(untagged(c))
    // and when b moved 40 days ago, it goes too
    await age(40, { tag: 'b' })
    const dry = await dryRun()
    expect(byKey(dry.deleted)).toEqual(untagged(b, c))
    expect(dry.kept).toBe(3) // the tags a, b, x

    const real = await api(reg.url, 'POST', `/api/retention/run?dryRun=false&repository=${repo}`)
    expect(byKey(real.body.deleted)).toEqual(byKey(dry.deleted))
    for (const gone of [b, c]) expect((await fetch(`${reg.url}/v2/${repo}/manifests/${gone.digest}`, { headers: { Accept: OCI_MANIFEST } })).status).toBe(404)
    for (const [tag, p] of [['a', a], ['b', b2]] as const) expect(await pulls(repo, tag, p.digest)).toBe(true)
    for (const kept of [d, e, x]) expect((await fetch(`${reg.url}/v2/${repo}/manifests/${kept.digest}`, { headers: { Accept: `${OCI_MANIFEST}, ${OCI_INDEX}` } })).status).toBe(200)
  }, 120_000)

  it("applies a repository's own policy instead of its organization's; a disabled one exempts the repository", async () => {
    const times = (tags: string[]) => Object.fromEntries(tags.map((t, i) => [t, new Date(Date.UTC(2026, 0, 1, 0, i))]))
    const tags = ['t0', 't1', 't2', 't3', 't4']
    const pushed = new Map<string, string>()
    for (const name of ['prec', 'elsewhere']) await db().organization.create({ data: { name } })
    for (const repo of ['prec/own', 'prec/other', 'prec/exempt', 'elsewhere/app']) {
      for (const t of tags) pushed.set(`${repo}:${t}`, (await push.image(repo, t)).digest)
      await setUpdatedAt(repo, times(tags)) // t4 newest
    }
    expect((await api(reg.url, 'PUT', '/api/organizations/prec/retention', { keepLatest: 1 })).body).toMatchObject({ scope: 'organization', organization: 'prec', repository: null, keepLatest: 1, enabled: true })
    expect((await api(reg.url, 'PUT', '/api/repositories/prec/own/retention', { keepLatest: 3 })).body).toMatchObject({ scope: 'repository', organization: 'prec', repository: 'prec/own', keepLatest: 3 })
    expect((await api(reg.url, 'PUT', '/api/repositories/prec/exempt/retention', { keepLatest: 0, enabled: false })).status).toBe(200)
    expect((await api(reg.url, 'PUT', '/api/organizations/elsewhere/retention', { keepLatest: 4, enabled: false })).status).toBe(200)
    const expect_ = (repo: string, gone: string[]) => gone.map((t) => `${repo} ${t} ${pushed.get(`${repo}:${t}`)} keep-latest`)

    const org = await api(reg.url, 'POST', '/api/retention/run?dryRun=true&organization=prec')
    expect(org.body.policies).toBe(2)
    expect(byKey(org.body.deleted)).toEqual([...expect_('prec/other', ['t0', 't1', 't2', 't3']), ...expect_('prec/own', ['t0', 't1'])].sort())
    // one repository: under its organization's policy, or its own
    expect(byKey((await api(reg.url, 'POST', '/api/retention/run?dryRun=true&repository=prec/other')).body.deleted)).toEqual(expect_('prec/other', ['t0', 't1', 't2', 't3']))
    expect(byKey((await api(reg.url, 'POST', '/api/retention/run?dryRun=true&repository=prec/own')).body.deleted)).toEqual(expect_('prec/own', ['t0', 't1']))
    expect((await api(reg.url, 'POST', '/api/retention/run?dryRun=true&repository=prec/exempt')).body).toMatchObject({ policies: 0, deleted: [] })
    // deleting the repository's policy hands the repository to its organization's
    expect((await api(reg.url, 'DELETE', '/api/repositories/prec/own/retention')).body).toMatchObject({ repository: 'prec/own', keepLatest: 3 })
    expect(byKey((await api(reg.url, 'POST', '/api/retention/run?dryRun=true&repository=prec/own')).body.deleted)).toEqual(expect_('prec/own', ['t0', 't1', 't2', 't3']))

    // every enabled policy (the scheduled run): elsewhere's is disabled
    const all = await runRetention(reg.stack, { dryRun: false })
    const mine = all.deleted.filter((d) => d.repository.startsWith('prec/') || d.repository.startsWith('elsewhere/'))
    expect(byKey(mine)).toEqual([...expect_('prec/other', ['t0', 't1', 't2', 't3']), ...expect_('prec/own', ['t0', 't1', 't2', 't3'])].sort())
    const scheduled = await db().auditEvent.findMany({ where: { action: 'retention.run', organization: 'prec' } })
    expect(scheduled.map((a) => JSON.parse(a.detail!))).toEqual([expect.objectContaining({ trigger: 'schedule', tagsDeleted: 8, manifestsDeleted: 0 })])
    expect(await db().tag.count({ where: { repository: { name: 'prec/exempt' } } })).toBe(5)
    expect(await db().tag.count({ where: { repository: { name: 'elsewhere/app' } } })).toBe(5)
  }, 120_000)

  it('refuses bad policies and runs with a 400 that says what is wrong, and unknown targets with 404', async () => {
    await db().organization.create({ data: { name: 'val' } })
    await push.image('val/app', 'v1')
    const put = (body: unknown, path = '/api/repositories/val/app/retention') => api(reg.url, 'PUT', path, body)
    const cases: [unknown, RegExp][] = [
      [{}, /at least one rule/],
      [{ keepLatest: 100_001 }, /"keepLatest" .*0 to 100000/],
      [{ keepLatest: -1 }, /"keepLatest"/],
      [{ untaggedDays: 36_501 }, /"untaggedDays" .*0 to 36500/],
      [{ keepLatest: 5, keepPattern: 'r'.repeat(201) }, /"keepPattern" is longer than 200 characters/],
      [{ keepLatest: 5, keepPattern: '{release,hotfix' }, /not a valid glob/],
      [{ keepPattern: 'release-*' }, /"keepLatest" too/],
      [{ keepLatest: 5, keep: 1 }, /unknown field "keep"/],
      [[1], /JSON/],
    ]
    for (const [body, message] of cases) {
      const res = await put(body)
      expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(400)
      expect(res.body.error.message).toMatch(message)
    }
    expect(await db().retentionPolicy.count({ where: { repository: 'val/app' } })).toBe(0) // nothing stored
    expect((await api(reg.url, 'GET', '/api/repositories/val/app/retention')).body.error.code).toBe('POLICY_NOT_FOUND')
    expect((await put({ keepLatest: 1 }, '/api/repositories/val/nothing/retention')).body.error.code).toBe('REPOSITORY_NOT_FOUND')
    expect((await put({ keepLatest: 1 }, '/api/organizations/nothing/retention')).body.error.code).toBe('ORGANIZATION_NOT_FOUND')
    expect((await api(reg.url, 'DELETE', '/api/organizations/val/retention')).body.error.code).toBe('POLICY_NOT_FOUND')
    expect((await api(reg.url, 'POST', '/api/retention/run?organization=val')).body.error.code).toBe('DRY_RUN_INVALID')
    expect((await api(reg.url, 'POST', '/api/retention/run?dryRun=yes&organization=val')).body.error.code).toBe('DRY_RUN_INVALID')
    expect((await api(reg.url, 'POST', '/api/retention/run?dryRun=true&organization=val&repository=val/app')).body.error.code).toBe('SCOPE_INVALID')
    expect((await api(reg.url, 'POST', '/api/retention/run?dryRun=true&repository=val/nothing')).status).toBe(404)

    // replaced as a whole; GET answers what was stored
    expect((await put({ keepLatest: 3, keepPattern: '{latest,stable}' })).status).toBe(200)
    expect((await put({ untaggedDays: 7 })).body).toMatchObject({ keepLatest: null, keepPattern: null, untaggedDays: 7, enabled: true })
    expect((await api(reg.url, 'GET', '/api/repositories/val/app/retention')).body).toMatchObject({ untaggedDays: 7, keepLatest: null })
    const set = await db().auditEvent.findFirst({ where: { action: 'retention.set', target: 'val/app' }, orderBy: { id: 'desc' } })
    expect(JSON.parse(set!.detail!)).toMatchObject({ untaggedDays: 7, previous: { keepLatest: 3, keepPattern: '{latest,stable}' } })
  }, 60_000)

  it('applies a policy in one run at a time: a manual run while another holds it is 409, a scheduled one leaves it to the holder', async () => {
    await push.image('lease/app', 'v1')
    await push.image('lease/app', 'v2')
    const policy = (await api(reg.url, 'PUT', '/api/repositories/lease/app/retention', { keepLatest: 0 })).body
    const held = await acquireLease(db(), `retention:${policy.id}`, 60_000)
    expect(held).not.toBeNull()
    try {
      const busy = await api(reg.url, 'POST', '/api/retention/run?dryRun=false&repository=lease/app')
      expect(busy.status).toBe(409)
      expect(busy.body.error).toMatchObject({ code: 'RETENTION_RUNNING' })
      expect(await runRetention(reg.stack, { dryRun: false, policyId: policy.id })).toMatchObject({ policies: 0, deleted: [] })
      // a dry run deletes nothing and needs no lease
      expect((await api(reg.url, 'POST', '/api/retention/run?dryRun=true&repository=lease/app')).body.deleted).toHaveLength(2)
      expect(await db().tag.count({ where: { repository: { name: 'lease/app' } } })).toBe(2)
    } finally {
      await held!.release()
    }
    expect((await runRetention(reg.stack, { dryRun: false, policyId: policy.id })).deleted).toHaveLength(2)
  }, 60_000)

  it('deletes a planned tag only while it still points at the manifest the plan saw', async () => {
    const first = await push.image('cond/app', 'moving')
    const id = await repositoryId('cond/app')
    const planned = await db().tag.findUniqueOrThrow({ where: { repositoryId_name: { repositoryId: id, name: 'moving' } } })
    const second = await push.image('cond/app', 'moving') // the tag moves after the plan was made
    expect(await deleteTagsIfUnchanged(reg.stack, id, [{ name: 'moving', manifestId: planned.manifestId, digest: first.digest }])).toEqual([])
    expect(await pulls('cond/app', 'moving', second.digest)).toBe(true)
    const now = await db().tag.findUniqueOrThrow({ where: { repositoryId_name: { repositoryId: id, name: 'moving' } } })
    expect(await deleteTagsIfUnchanged(reg.stack, id, [{ name: 'moving', manifestId: now.manifestId, digest: second.digest }])).toHaveLength(1)
    expect(await db().tagEvent.findFirst({ where: { repositoryId: id, source: 'retention' } })).toMatchObject({ tag: 'moving', manifestDigest: second.digest, action: 'delete' })
  }, 60_000)

  it('deletes a planned untagged manifest only while it is still untagged', async () => {
    const img = await push.image('cond/untagged', null)
    const id = await repositoryId('cond/untagged')
    await db().manifest.updateMany({ where: { repositoryId: id }, data: { createdAt: new Date(Date.now() - 10 * DAY_MS) } })
    const cutoff = new Date(Date.now() - DAY_MS)
    const [planned] = await findUntaggedManifests(db(), id, cutoff)
    expect(planned.digest).toBe(img.digest)
    await push.manifest('cond/untagged', 'now-tagged', img.manifest) // tagged after the plan was made
    expect(await deleteUntaggedManifest(reg.stack, id, planned, cutoff)).toBe(false)
    expect(await pulls('cond/untagged', 'now-tagged', img.digest)).toBe(true)
    // untagged again: untagged since now, younger than the cutoff
    expect((await fetch(`${reg.url}/api/repositories/cond/untagged/tags/now-tagged`, { method: 'DELETE' })).status).toBe(204)
    expect(await deleteUntaggedManifest(reg.stack, id, planned, cutoff)).toBe(false)
    await db().tagEvent.updateMany({ where: { repositoryId: id }, data: { createdAt: new Date(Date.now() - 2 * DAY_MS) } })
    expect(await deleteUntaggedManifest(reg.stack, id, planned, cutoff)).toBe(true)
    expect(await db().manifest.count({ where: { repositoryId: id } })).toBe(0)
  }, 60_000)

  it('the console lists as untagged what the untaggedDays rule and garbage collection call untagged (one rule, lib/gc/untagged.ts)', async () => {
    const img = await push.image('rule/shared', null)
    const id = await repositoryId('rule/shared')
    await db().manifest.updateMany({ where: { repositoryId: id }, data: { createdAt: new Date(Date.now() - 10 * DAY_MS) } })
    const cutoff = new Date(Date.now() - DAY_MS)
    const listed = async () => (await listUntaggedImages(reg.stack, 'rule/shared'))!.images.map((m) => m.digest)
    expect(await listed()).toEqual([img.digest])
    expect((await findUntaggedManifests(db(), id, cutoff)).map((m) => m.digest)).toEqual([img.digest])
    await push.manifest('rule/shared', 'now-tagged', img.manifest)
    expect(await listed()).toEqual([])
    expect(await findUntaggedManifests(db(), id, cutoff)).toEqual([])
  }, 60_000)

  it('two instances running the policies at once delete each tag once between them', async () => {
    const tags = Array.from({ length: 30 }, (_, i) => `t${String(i).padStart(2, '0')}`)
    for (const t of tags) await push.image('twice/app', t)
    await db().retentionPolicy.create({ data: { repository: 'twice/app', keepLatest: 5 } })
    // PostgreSQL: a second instance with its own database client. SQLite is one process by design (a
    // second client in this process would wait synchronously for the first one's write lock): two runs.
    const other = provider === 'postgresql' ? await reopen(reg.stack) : { services: reg.stack, close: async () => {} }
    try {
      const [one, two] = await Promise.all([runRetention(reg.stack, { dryRun: false }), runRetention(other.services, { dryRun: false })])
      const mine = [...one.deleted, ...two.deleted].filter((d) => d.repository === 'twice/app')
      expect(mine).toHaveLength(25)
      expect(new Set(mine.map((d) => d.tag)).size).toBe(25)
    } finally {
      await other.close()
    }
    expect(await db().tag.count({ where: { repository: { name: 'twice/app' } } })).toBe(5)
    expect(await db().tagEvent.count({ where: { repository: { name: 'twice/app' }, source: 'retention' } })).toBe(25)
  }, 60_000)

  it('a manual run of several policies, one of them busy, deletes nothing and answers 409', async () => {
    await db().organization.create({ data: { name: 'busy' } })
    for (const repo of ['busy/one', 'busy/two']) for (const t of ['a', 'b']) await push.image(repo, t)
    await api(reg.url, 'PUT', '/api/repositories/busy/one/retention', { keepLatest: 0 })
    const second = (await api(reg.url, 'PUT', '/api/repositories/busy/two/retention', { keepLatest: 0 })).body
    const held = await acquireLease(db(), `retention:${second.id}`, 60_000)
    try {
      expect((await api(reg.url, 'POST', '/api/retention/run?dryRun=false&organization=busy')).status).toBe(409)
      expect(await db().tag.count({ where: { repository: { name: { in: ['busy/one', 'busy/two'] } } } })).toBe(4)
    } finally {
      await held!.release()
    }
    expect((await api(reg.url, 'POST', '/api/retention/run?dryRun=false&organization=busy')).body.deleted).toHaveLength(4)
  }, 60_000)

  it("never deletes an untagged manifest younger than garbage collection's grace, even with untaggedDays 0", async () => {
    const img = await push.image('grace/app', null)
    const id = await repositoryId('grace/app')
    await db().manifest.updateMany({ where: { repositoryId: id }, data: { createdAt: new Date(Date.now() - 3600_000) } })
    await db().retentionPolicy.create({ data: { repository: 'grace/app', untaggedDays: 0 } })
    // untagged for an hour: within the default 24 h grace
    expect((await runRetention(reg.stack, { dryRun: true, repository: 'grace/app' })).deleted).toEqual([])
    const noGrace = { ...reg.stack, lifecycle: { gcGraceSeconds: 0 } }
    expect((await runRetention(noGrace, { dryRun: true, repository: 'grace/app' })).deleted).toEqual([{ repository: 'grace/app', tag: null, digest: img.digest, reason: 'untagged' }])
  }, 60_000)
})
