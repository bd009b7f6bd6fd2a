// Garbage collection (issue 11), against a real registry over HTTP, s3rver and SQLite / PostgreSQL: what
// a run deletes (rows and bucket objects) and what it must keep (tags, shared layers, an index's
// children, a referrer's subject, anything within the grace, staged objects), its dry run, crash
// leftovers (tombstones), orphan objects, empty repositories. Images are pushed through /v2/ as clients do.
import { Readable } from 'node:stream'
import { randomBytes } from 'node:crypto'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { providers, snapshot } from '../helpers/stack'
import { startRegistry, request, sha256, OCI_MANIFEST, type Registry } from './oci-support'
import { makeMultiPlatformArchive } from '../helpers/make-oci-archive'
import { importArchive } from '../../lib/archive/import-archive'
import { deleteTag } from '../../lib/registry/queries'
import { registerStaged } from '../../lib/registry/staging'
import { runGc, GC_STEPS, type GcResult, type GcStep } from '../../lib/gc/run-gc'
import { deadBlobs, deadLinks, deadManifests } from '../../lib/gc/candidates'
import { deleteBlobRows, deleteLinks, deleteManifest } from '../../lib/gc/delete-rows'
import { linkBlob } from '../../lib/oci/blob-links'

const LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar'
const HOUR = 3600

type Pushed = { digest: string; manifest: Buffer; config: Buffer; layers: Buffer[] }

describe.each(providers)('garbage collection (%s)', (provider) => {
  let reg: Registry
  beforeAll(async () => {
    reg = await startRegistry(provider)
  }, 120_000)
  afterAll(async () => {
    await reg?.close()
  })

  const grace = (seconds: number) => {
    reg.stack.lifecycle = { gcGraceSeconds: seconds }
  }
  const gc = (dryRun = false, onStep?: (s: GcStep) => void) => runGc(reg.stack, { dryRun, trigger: 'manual', onStep })

  async function pushBlob(repo: string, blob: Buffer) {
    const res = await request(`${reg.url}/v2/${repo}/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', body: blob })
    expect(res.status).toBe(201)
  }
  async function putManifest(repo: string, reference: string, manifest: Buffer) {
    const res = await request(`${reg.url}/v2/${repo}/manifests/${reference}`, { method: 'PUT', body: manifest, headers: { 'Content-Type': OCI_MANIFEST } })
    expect(res.status).toBe(201)
  }
  /** An image of these layers (uncompressed tars), under `tag`, or untagged when null. */
  async function pushImage(repo: string, tag: string | null, layers: Buffer[]): Promise<Pushed> {
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map(sha256) }, nonce: randomBytes(8).toString('hex') }))
    for (const b of [...layers, config]) await pushBlob(repo, b)
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
        layers: layers.map((l) => ({ mediaType: LAYER_TAR, digest: sha256(l), size: l.length })),
      }),
    )
    await putManifest(repo, tag ?? sha256(manifest), manifest)
    return { digest: sha256(manifest), manifest, config, layers }
  }
  /** An artifact (an SBOM, a signature) whose subject is `subject`, pushed by digest. */
  async function pushReferrer(repo: string, subject: Pushed): Promise<Pushed> {
    const empty = Buffer.from('{}')
    const sbom = Buffer.from(JSON.stringify({ sbom: randomBytes(8).toString('hex') }))
    for (const b of [empty, sbom]) await pushBlob(repo, b)
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: 'application/vnd.example.sbom+json',
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(empty), size: 2 },
        layers: [{ mediaType: 'application/json', digest: sha256(sbom), size: sbom.length }],
        subject: { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.manifest.length },
      }),
    )
    await putManifest(repo, sha256(manifest), manifest)
    return { digest: sha256(manifest), manifest, config: empty, layers: [sbom] }
  }

  async function pullBlob(repo: string, digest: string): Promise<{ status: number; body: Buffer }> {
    const res = await request(`${reg.url}/v2/${repo}/blobs/${digest}`)
    return { status: res.status, body: Buffer.from(await res.arrayBuffer()) }
  }
  async function manifestStatus(repo: string, reference: string): Promise<number> {
    const res = await request(`${reg.url}/v2/${repo}/manifests/${reference}`, { headers: { Accept: OCI_MANIFEST } })
    await res.arrayBuffer()
    return res.status
  }
  /** Every blob of the image pulls byte-exact, and its manifest too. */
  async function expectPullable(repo: string, reference: string, image: Pushed) {
    const res = await request(`${reg.url}/v2/${repo}/manifests/${reference}`, { headers: { Accept: OCI_MANIFEST } })
    expect(res.status).toBe(200)
    expect(Buffer.from(await res.arrayBuffer()).equals(image.manifest)).toBe(true)
    for (const b of [image.config, ...image.layers]) {
      const pulled = await pullBlob(repo, sha256(b))
      expect(pulled.status).toBe(200)
      expect(pulled.body.equals(b)).toBe(true)
    }
  }
  const blobRow = (digest: string) => reg.stack.db.blob.findUnique({ where: { digest } })
  const objectExists = async (key: string) => (await reg.stack.store.stat(key)) !== null
  const repoOf = (r: GcResult, name: string) => r.repositories.find((x) => x.repository === name)

  it('frees the layers of a deleted tag (rows and objects) and keeps the layers another tag shares', async () => {
    grace(0)
    const shared = randomBytes(30_000)
    const onlyOld = randomBytes(20_000)
    const onlyKept = randomBytes(10_000)
    const old = await pushImage('gc/free', 'old', [shared, onlyOld])
    const kept = await pushImage('gc/free', 'kept', [shared, onlyKept])
    const freedKeys = await Promise.all([old.config, onlyOld].map(async (b) => (await blobRow(sha256(b)))!.objectKey))
    expect(await deleteTag(reg.stack, 'gc/free', 'old')).toBeTruthy()

    const result = await gc()
    expect(result.state).toBe('done')
    expect(result.errors).toEqual([])
    // the untagged manifest, its two links and its two blobs (config and the unshared layer)
    expect(repoOf(result, 'gc/free')).toMatchObject({ manifests: 1, links: 2, blobs: 2, bytes: old.config.length + onlyOld.length })
    expect(await manifestStatus('gc/free', old.digest)).toBe(404)
    for (const b of [old.config, onlyOld]) {
      expect(await blobRow(sha256(b))).toBeNull()
      expect((await pullBlob('gc/free', sha256(b))).status).toBe(404)
    }
    for (const key of freedKeys) expect(await objectExists(key)).toBe(false)
    expect(await reg.stack.db.objectTombstone.count()).toBe(0)
    await expectPullable('gc/free', 'kept', kept)

    // a second run finds nothing more of this repository
    expect(repoOf(await gc(), 'gc/free')).toBeUndefined()
    await expectPullable('gc/free', 'kept', kept)
  })

  it('keeps an untagged manifest within the grace (by creation or by a recent move of a tag that named it), then frees it', async () => {
    grace(HOUR)
    const first = await pushImage('gc/grace', 'latest', [randomBytes(5_000)])
    const second = await pushImage('gc/grace', 'latest', [randomBytes(5_000)]) // moves the tag: first is untagged now
    await gc()
    await expectPullable('gc/grace', first.digest, first)

    // created long ago, but the tag moved away from it just now: still within the grace
    const longAgo = new Date(Date.now() - 2 * HOUR * 1000)
    const { db } = reg.stack
    await db.manifest.updateMany({ where: { digest: first.digest }, data: { createdAt: longAgo } })
    await db.blob.updateMany({ where: { digest: { in: [first.config, ...first.layers].map(sha256) } }, data: { createdAt: longAgo } })
    await db.repositoryBlob.updateMany({ where: { digest: { in: [first.config, ...first.layers].map(sha256) } }, data: { touchedAt: longAgo } })
    await gc()
    await expectPullable('gc/grace', first.digest, first)

    // the tag's history is old too: the grace is over
    await db.tagEvent.updateMany({ where: { repository: { name: 'gc/grace' } }, data: { createdAt: longAgo } })
    const result = await gc()
    expect(repoOf(result, 'gc/grace')).toMatchObject({ manifests: 1, links: 2, blobs: 2 })
    expect(await manifestStatus('gc/grace', first.digest)).toBe(404)
    await expectPullable('gc/grace', 'latest', second)
  })

  it("keeps an index's children while the index is tagged, and frees all of it once it is not", async () => {
    grace(0)
    const built = await makeMultiPlatformArchive({
      reference: 'gc/multi:1.0',
      platforms: [
        { architecture: 'amd64', layers: [{ size: 20_000, gzip: false }] },
        { architecture: 'arm64', layers: [{ size: 25_000, gzip: false }] },
      ],
    })
    await importArchive(reg.stack, { body: Readable.from([built.archive]), filename: 'multi.tar' })
    const { db } = reg.stack
    const index = await db.tag.findUniqueOrThrow({ where: { repositoryId_name: { repositoryId: (await db.repository.findUniqueOrThrow({ where: { name: 'gc/multi' } })).id, name: '1.0' } }, include: { manifest: true } })
    const children = await db.manifestChild.findMany({ where: { parentId: index.manifestId }, include: { child: true } })
    expect(children).toHaveLength(2) // the import records the index's children

    const result = await gc()
    expect(repoOf(result, 'gc/multi')).toBeUndefined()
    for (const c of children) {
      expect(await manifestStatus('gc/multi', c.child.digest)).toBe(200)
      for (const mb of await db.manifestBlob.findMany({ where: { manifestId: c.childId } })) expect((await pullBlob('gc/multi', mb.digest)).status).toBe(200)
    }

    await deleteTag(reg.stack, 'gc/multi', '1.0')
    const dry = await gc(true)
    const real = await gc()
    // the index, then (next pass) its two platform images: config + one layer each
    expect(repoOf(real, 'gc/multi')).toMatchObject({ manifests: 3, links: 4, blobs: 4, repositoryRemoved: true })
    expect(repoOf(dry, 'gc/multi')).toEqual(repoOf(real, 'gc/multi'))
    for (const c of children) expect(await db.manifest.findUnique({ where: { id: c.childId } })).toBeNull()
  })

  it('keeps a referrer while its subject lives, and frees it with its subject', async () => {
    grace(0)
    const subject = await pushImage('gc/refs', 'v1', [randomBytes(4_000)])
    const sbom = await pushReferrer('gc/refs', subject)
    await gc()
    await expectPullable('gc/refs', sbom.digest, sbom)
    await expectPullable('gc/refs', 'v1', subject)

    await deleteTag(reg.stack, 'gc/refs', 'v1')
    const result = await gc()
    expect(repoOf(result, 'gc/refs')).toMatchObject({ manifests: 2, repositoryRemoved: true })
    expect(await blobRow(sha256(sbom.layers[0]))).toBeNull()
  })

  it('dry run: deletes nothing and reports per repository what the real run then deletes', async () => {
    grace(0)
    const keep = await pushImage('gc/dry-a', 'keep', [randomBytes(3_000)])
    await pushImage('gc/dry-a', 'drop', [randomBytes(7_000), randomBytes(2_000)])
    await pushImage('gc/dry-b', 'drop', [randomBytes(9_000)])
    await deleteTag(reg.stack, 'gc/dry-a', 'drop')
    await deleteTag(reg.stack, 'gc/dry-b', 'drop')

    const before = await snapshot(reg.stack)
    const dry = await gc(true)
    expect(await snapshot(reg.stack)).toEqual(before)
    expect(dry).toMatchObject({ dryRun: true, state: 'done' })
    expect(repoOf(dry, 'gc/dry-a')).toMatchObject({ manifests: 1, links: 3, blobs: 3 })
    expect(repoOf(dry, 'gc/dry-b')).toMatchObject({ manifests: 1, links: 2, blobs: 2, repositoryRemoved: true })
    expect(dry.bytesFreed).toBeGreaterThan(7_000 + 2_000 + 9_000)

    const real = await gc()
    for (const field of ['manifestsDeleted', 'linksDeleted', 'blobsDeleted', 'objectsDeleted', 'bytesFreed', 'repositories'] as const) expect(real[field]).toEqual(dry[field])
    await expectPullable('gc/dry-a', 'keep', keep)
    expect(await reg.stack.db.repository.findUnique({ where: { name: 'gc/dry-b' } })).toBeNull()
  })

  it('finishes the tombstones a crash left (row deleted, object not yet)', async () => {
    grace(0)
    const key = `blobs/crash-${randomBytes(6).toString('hex')}`
    await reg.stack.store.write(key, randomBytes(1234))
    await reg.stack.db.objectTombstone.create({ data: { objectKey: key, size: 1234n } })
    const dry = await gc(true)
    expect(dry.objectsDeleted).toBeGreaterThanOrEqual(1)
    expect(await objectExists(key)).toBe(true)

    const result = await gc()
    expect(result.objectsDeleted).toBeGreaterThanOrEqual(1)
    expect(await objectExists(key)).toBe(false)
    expect(await reg.stack.db.objectTombstone.findUnique({ where: { objectKey: key } })).toBeNull()
  })

  it('deletes an orphan object older than the grace; keeps a young one, staged objects and those of upload sessions', async () => {
    const orphan = `blobs/orphan-${randomBytes(6).toString('hex')}`
    await reg.stack.store.write(orphan, randomBytes(4321))
    const staged = await registerStaged(reg.stack, 'gc-test-owner')
    await reg.stack.store.write(staged, randomBytes(100))
    // a push session that stopped half way: its tail object is named by the session
    const post = await request(`${reg.url}/v2/gc/orphans/blobs/uploads/`, { method: 'POST' })
    expect(post.status).toBe(202)
    const patch = await request(new URL(post.headers.get('location')!, reg.url).toString(), { method: 'PATCH', body: randomBytes(1000), headers: { 'Content-Type': 'application/octet-stream' } })
    expect(patch.status).toBe(202)
    const session = await reg.stack.db.blobUploadSession.findFirstOrThrow({ where: { repository: 'gc/orphans' } })
    expect(session.tailKey).not.toBeNull()

    grace(HOUR)
    await gc()
    expect(await objectExists(orphan)).toBe(true) // written just now

    grace(0)
    const dry = await gc(true)
    expect(dry.objectsDeleted).toBeGreaterThanOrEqual(1)
    expect(await objectExists(orphan)).toBe(true)
    const result = await gc()
    expect(result.bytesFreed).toBeGreaterThanOrEqual(4321)
    expect(await objectExists(orphan)).toBe(false)
    expect(await objectExists(staged)).toBe(true)
    expect(await objectExists(session.tailKey!)).toBe(true)
  })

  it('removes empty repositories, so /v2/_catalog and the console list agree', async () => {
    grace(0)
    await pushImage('gc/empty', 'only', [randomBytes(2_000)])
    await pushImage('gc/stays', 'only', [randomBytes(2_000)])
    await deleteTag(reg.stack, 'gc/empty', 'only')
    const result = await gc()
    expect(repoOf(result, 'gc/empty')).toMatchObject({ repositoryRemoved: true })
    expect(await reg.stack.db.repository.findUnique({ where: { name: 'gc/empty' } })).toBeNull()

    const catalog = (await (await request(`${reg.url}/v2/_catalog`)).json()).repositories as string[]
    const consoleList = ((await (await request(`${reg.url}/api/repositories?pageSize=100`)).json()).repositories as { name: string }[]).map((r) => r.name)
    expect(catalog).toContain('gc/stays')
    expect(catalog).not.toContain('gc/empty')
    expect([...consoleList].sort()).toEqual([...catalog].sort())
    expect((await reg.stack.db.repository.findMany({ select: { name: true } })).map((r) => r.name).sort()).toEqual([...catalog].sort())
  })

  it('re-checks each candidate under its lock: what a writer used after the candidate query stays', async () => {
    grace(0)
    const { db } = reg.stack
    const image = await pushImage('gc/race', 'v1', [randomBytes(3_000)])
    await deleteTag(reg.stack, 'gc/race', 'v1')
    const cutoff = new Date()
    const all = async <T,>(gen: AsyncGenerator<T[]>) => {
      const out: T[] = []
      for await (const b of gen) out.push(...b)
      return out
    }
    // the manifest is a candidate; then a client tags it again
    const manifest = (await all(deadManifests(db, cutoff))).find((m) => m.digest === image.digest)!
    expect(manifest).toBeDefined()
    await putManifest('gc/race', 'v1', image.manifest)
    expect(await deleteManifest(db, manifest, cutoff)).toBe('skipped')
    await expectPullable('gc/race', 'v1', image)

    // a blob only a stale link holds: the link is a candidate, then a client touches it (HEAD before a push)
    const layer = randomBytes(2_000)
    await pushBlob('gc/race', layer)
    const old = new Date(Date.now() - 60_000)
    await db.blob.update({ where: { digest: sha256(layer) }, data: { createdAt: old } })
    await db.repositoryBlob.updateMany({ where: { digest: sha256(layer) }, data: { touchedAt: old } })
    const link = (await all(deadLinks(db, new Date()))).filter((l) => l.digest === sha256(layer))
    expect(link).toHaveLength(1)
    await db.repositoryBlob.updateMany({ where: { digest: sha256(layer) }, data: { touchedAt: new Date(Date.now() + 60_000) } })
    expect(await deleteLinks(db, link, new Date())).toEqual([])

    // the link goes; the blob is a candidate; then a client mounts it into another repository
    await db.repositoryBlob.updateMany({ where: { digest: sha256(layer) }, data: { touchedAt: old } })
    expect(await deleteLinks(db, link, new Date())).toHaveLength(1)
    const blob = (await all(deadBlobs(db, new Date()))).filter((b) => b.digest === sha256(layer))
    expect(blob).toHaveLength(1)
    await linkBlob(reg.stack, 'gc/race-mount', sha256(layer))
    expect(await deleteBlobRows(db, blob, new Date())).toEqual([])
    expect(await db.objectTombstone.count({ where: { objectKey: blob[0].objectKey } })).toBe(0)
    const pulled = await pullBlob('gc/race-mount', sha256(layer))
    expect(pulled.status).toBe(200)
    expect(pulled.body.equals(layer)).toBe(true)
  })

  it('calls onStep before every step, in order, and records the run', async () => {
    grace(0)
    const seen: GcStep[] = []
    const result = await gc(false, (s) => void seen.push(s))
    expect(seen).toEqual([...GC_STEPS])
    const row = await reg.stack.db.gcRun.findUniqueOrThrow({ where: { id: result.runId } })
    expect(row).toMatchObject({ state: 'done', dryRun: false, trigger: 'manual', objectsDeleted: result.objectsDeleted })
    expect(row.finishedAt).not.toBeNull()
  })
})
