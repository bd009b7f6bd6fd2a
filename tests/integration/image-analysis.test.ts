// The image-level file API (issue 13, contract-13) on real parts: s3rver, SQLite and PostgreSQL, the real
// job queue, real access rules. Two generated images share their first two layers (overwrite, whiteouts
// of a file and a directory, an opaque directory, a hardlink: image-analysis-support.ts); a multi-platform
// index needs ?platform=. The merged tree, search, dive's efficiency, usage and the comparison are read
// through the API; garbage collection takes an analysis with its manifest.
import { Readable } from 'node:stream'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { providers } from '../helpers/stack'
import { startRegistry, type Registry } from '../helpers/http-stack'
import { startTestJobs } from '../helpers/jobs'
import { seedUser, seedOrganization, basic } from '../helpers/accounts'
import { makeDockerArchive } from '../helpers/make-archive'
import { makeMultiPlatformArchive } from '../helpers/make-oci-archive'
import { unnamedObjects } from '../helpers/gc-instances'
import { importArchive } from '../../lib/archive/import-archive'
import { deleteTag } from '../../lib/registry/queries'
import { runGc } from '../../lib/gc/run-gc'
import type { RunningJobs } from '../../lib/jobs/start-jobs'
import { sha256 } from './oci-support'
import { base, middle, top, other, expectedV1 } from './image-analysis-support'

const d = (layer: Buffer) => sha256(layer)
const notATar = Buffer.from('plain text, not a tar archive. '.repeat(40))

describe.each(providers)('image analysis (%s)', (provider) => {
  let reg: Registry
  let jobs: RunningJobs | null = null
  const APP = '/api/repositories/acme/app'

  const call = async (path: string, headers: Record<string, string> = basic('admin')) => {
    const res = await fetch(reg.url + path, { headers })
    return { status: res.status, body: (await res.json()) as any }
  }
  /** The answer once nothing is being built: runs the queued jobs between tries (no clock involved). */
  const settled = async (path: string) => {
    for (let i = 0; i < 6; i++) {
      const r = await call(path)
      if (r.status !== 202) return r
      jobs ??= await startTestJobs(reg.stack)
      await jobs.jobs.idle('blob.measure')
      await jobs.jobs.idle('image.analyze')
    }
    throw new Error(`${path} is still being built`)
  }

  beforeAll(async () => {
    reg = await startRegistry(provider, { access: 'enforced' })
    await seedUser(reg.stack.db, 'admin', { admin: true })
    await seedOrganization(reg.stack.db, 'acme')
    const open = { ...reg.stack, auth: { ...reg.stack.auth, openAccess: true } }
    for (const [tag, layers] of [['v1', [base, middle, top]], ['v2', [base, middle, other]], ['v3', [base, notATar]]] as const) {
      const { archive } = await makeDockerArchive({ repoTags: [`acme/app:${tag}`], layers: [...layers] })
      await importArchive(open, { body: Readable.from([archive]) })
    }
    const multi = await makeMultiPlatformArchive({
      reference: 'acme/multi:1.0',
      platforms: [
        { architecture: 'amd64', layers: [{ size: 3_000, gzip: false }] },
        { architecture: 'arm64', variant: 'v8', layers: [{ size: 2_000, gzip: false }] },
      ],
    })
    await importArchive(open, { body: Readable.from([multi.archive]) })
  }, 120_000)
  afterAll(async () => {
    await jobs?.stop()
    await reg?.close()
  })

  it('answers 202 with the layers while their indexes and then the analysis are built, then 200', async () => {
    const first = await call(`${APP}/tags/v1/files`)
    expect(first).toEqual({
      status: 202,
      body: { state: 'pending', layers: [base, middle, top].map((l, position) => ({ position, digest: d(l), state: 'pending' })) },
    })
    jobs = await startTestJobs(reg.stack)
    await jobs.jobs.idle('blob.measure')
    const second = await call(`${APP}/tags/v1/files`)
    expect(second.status).toBe(202)
    expect(['pending', 'building']).toContain(second.body.state)
    expect(second.body.layers.map((l: any) => l.state)).toEqual(['ready', 'ready', 'ready'])
    await jobs.jobs.idle('image.analyze')
    expect((await call(`${APP}/tags/v1/files`)).status).toBe(200)
    const row = await reg.stack.db.imageAnalysis.findFirstOrThrow({ where: { state: 'ready' } })
    expect(row).toMatchObject({ entryCount: 8, fileCount: 5, fileBytes: 1535n })
  }, 60_000)

  it('lists the merged tree: a whiteout hides, an opaque directory hides, a later layer overwrites', async () => {
    const root = await settled(`${APP}/tags/v1/files`)
    expect(root.status).toBe(200)
    expect(root.body).toMatchObject({ path: '', page: 1, pageSize: 200, total: 4, totals: { files: 5, bytes: 1535 } })
    expect(root.body.layers).toEqual([base, middle, top].map((l, position) => ({ position, digest: d(l), state: 'ready' })))
    // opt/gone was whited out with everything below it: opt is gone too
    expect(root.body.entries.map((e: any) => e.name)).toEqual(['app', 'etc', 'usr', 'var'])
    expect(root.body.entries[1]).toMatchObject({ name: 'etc', type: 'dir', layer: 0, layerDigest: d(base), files: 1, bytes: 120 })

    const etc = await call(`${APP}/tags/v1/files?path=etc`)
    expect(etc.body.entries).toEqual([
      { name: 'config', path: 'etc/config', type: 'file', size: 120, mode: 0o644, uid: 0, gid: 0, mtime: 1_700_000_000, layer: 1, layerDigest: d(middle) },
    ])
    expect((await call(`${APP}/tags/v1/files?path=var/cache`)).body.entries.map((e: any) => [e.path, e.layer])).toEqual([['var/cache/c', 1]])
    const app = await call(`${APP}/tags/v1/files?path=app&sort=size`)
    expect(app.body.entries.map((e: any) => [e.name, e.size, e.layer])).toEqual([
      ['data.bin', 400, 2],
      ['new', 5, 2],
    ])
    const bin = await call(`${APP}/tags/v1/files?path=usr/bin`)
    expect(bin.body.entries[1]).toMatchObject({ name: 'tool-link', type: 'hardlink', linkTarget: 'usr/bin/tool', layer: 0 })
    expect(await call(`${APP}/tags/v1/files?path=etc/old`)).toMatchObject({ status: 404, body: { error: { code: 'PATH_UNKNOWN' } } })
    expect((await call(`${APP}/tags/v1/files?path=app/new`)).body.error.code).toBe('NOT_A_DIRECTORY')
  })

  it('searches paths over the merged tree only', async () => {
    const found = await settled(`${APP}/tags/v1/files?q=DATA`)
    expect(found.body).toMatchObject({ query: 'DATA', total: 1, entries: [{ path: 'app/data.bin', size: 400, layer: 2, layerDigest: d(top) }] })
    expect((await call(`${APP}/tags/v1/files?q=var/cache/a`)).body.total).toBe(0)
    expect((await call(`${APP}/tags/v1/files?q=old`)).body.total).toBe(0)
  })

  it("gives dive's efficiency figures, by tag and by digest", async () => {
    const byTag = await settled(`${APP}/tags/v1/efficiency`)
    expect(byTag.status).toBe(200)
    expect(byTag.body).toEqual({ digest: expect.stringMatching(/^sha256:/), ...expectedV1 })
    const byDigest = await call(`${APP}/digests/${byTag.body.digest}/efficiency`)
    expect(byDigest).toEqual(byTag)
  })

  it('shows where the bytes are: largest files, largest directories, bytes per layer', async () => {
    const { status, body } = await settled(`${APP}/tags/v1/usage`)
    expect(status).toBe(200)
    expect(body.largestFiles).toEqual([
      { path: 'usr/bin/tool', size: 1000, layer: 0, layerDigest: d(base) },
      { path: 'app/data.bin', size: 400, layer: 2, layerDigest: d(top) },
      { path: 'etc/config', size: 120, layer: 1, layerDigest: d(middle) },
      { path: 'var/cache/c', size: 10, layer: 1, layerDigest: d(middle) },
      { path: 'app/new', size: 5, layer: 2, layerDigest: d(top) },
    ])
    expect(body.largestDirectories).toEqual([
      { path: 'usr', bytes: 1000, files: 1 },
      { path: 'usr/bin', bytes: 1000, files: 1 },
      { path: 'app', bytes: 405, files: 2 },
      { path: 'etc', bytes: 120, files: 1 },
      { path: 'var', bytes: 10, files: 1 },
      { path: 'var/cache', bytes: 10, files: 1 },
    ])
    expect(body.layers).toEqual([
      { position: 0, digest: d(base), fileBytes: 1270, compressedContentBytes: 0, compressibleBytes: 1270 },
      { position: 1, digest: d(middle), fileBytes: 630, compressedContentBytes: 0, compressibleBytes: 630 },
      // app/data.bin of the top layer starts like a gzip stream: gzip cannot shrink it
      { position: 2, digest: d(top), fileBytes: 405, compressedContentBytes: 400, compressibleBytes: 5 },
    ])
  })

  it('compares two images: shared and new layers, sizes, files added, removed and changed', async () => {
    const { status, body } = await settled(`${APP}/compare?from=v1&to=v2`)
    expect(status).toBe(200)
    const v1 = await reg.stack.db.tag.findFirstOrThrow({ where: { name: 'v1' }, select: { manifest: { select: { digest: true } } } })
    expect(body.from).toEqual({ reference: 'v1', digest: v1.manifest.digest })
    expect(body.layers).toEqual({ shared: [d(base), d(middle)], added: [d(other)], removed: [d(top)] })
    const fromBytes = base.length + middle.length + top.length
    const toBytes = base.length + middle.length + other.length
    expect(body.sizes.uncompressed).toEqual({ from: fromBytes, to: toBytes, delta: toBytes - fromBytes })
    expect(body.sizes.compressed.delta).toBe(body.sizes.compressed.to - body.sizes.compressed.from)
    expect(body.files).toEqual({ added: 1, removed: 2, changed: 1, total: 4 })
    expect(body.changes).toEqual([
      { path: 'etc/config', change: 'removed', fromSize: 120, toSize: null, delta: -120, fromMode: 0o644 },
      { path: 'app/extra', change: 'added', fromSize: null, toSize: 60, delta: 60, toMode: 0o644 },
      { path: 'app/data.bin', change: 'changed', fromSize: 400, toSize: 450, delta: 50, fromMode: 0o644, toMode: 0o644 },
      { path: 'app/new', change: 'removed', fromSize: 5, toSize: null, delta: -5, fromMode: 0o644 },
    ])
    expect(body.biggestDirectories).toEqual([
      { path: 'etc', delta: -120 },
      { path: 'app', delta: 105 },
    ])
    const paged = await call(`${APP}/compare?from=v1&to=v2&page=2&pageSize=3`)
    expect(paged.body.changes.map((c: any) => c.path)).toEqual(['app/new'])
  })

  it('counts a layer that is not a tar as empty, and says the answer is incomplete', async () => {
    const { status, body } = await settled(`${APP}/tags/v3/files`)
    expect(status).toBe(200)
    expect(body.incomplete).toBe(true)
    expect(body.layers).toEqual([
      { position: 0, digest: d(base), state: 'ready' },
      { position: 1, digest: d(notATar), state: 'not-a-tar' },
    ])
    expect(body.entries.map((e: any) => e.name)).toEqual(['etc', 'opt', 'usr', 'var'])
    expect((await call(`${APP}/tags/v3/efficiency`)).body).toMatchObject({ incomplete: true, sizeBytes: 1270, userSizeBytes: 0, userWastedPercent: null })
  })

  it('needs ?platform= for a multi-platform index, and names the platforms', async () => {
    const none = await call('/api/repositories/acme/multi/tags/1.0/files')
    expect(none.status).toBe(400)
    expect(none.body).toEqual({ error: { code: 'PLATFORM_REQUIRED', message: expect.any(String) }, platforms: ['linux/amd64', 'linux/arm64/v8'] })
    expect((await call('/api/repositories/acme/multi/tags/1.0/efficiency?platform=linux/s390x')).status).toBe(404)
    const arm = await settled('/api/repositories/acme/multi/tags/1.0/efficiency?platform=linux/arm64/v8')
    expect(arm.status).toBe(200)
    expect(arm.body.sizeBytes).toBeGreaterThan(0)
    expect((await settled('/api/repositories/acme/multi/tags/1.0/files?platform=linux/amd64')).status).toBe(200)
  })

  it('refuses an anonymous caller on a private repository', async () => {
    for (const path of [`${APP}/tags/v1/files`, `${APP}/tags/v1/efficiency`, `${APP}/tags/v1/usage`, `${APP}/compare?from=v1&to=v2`]) {
      const r = await call(path, {})
      expect(r.status, path).toBe(401)
      expect(r.body.error.code).toBe('UNAUTHORIZED')
    }
  })

  it('garbage collection deletes the analysis and its merged index object with the manifest', async () => {
    await settled(`${APP}/tags/v2/efficiency`)
    const v2 = await reg.stack.db.tag.findFirstOrThrow({ where: { name: 'v2' }, select: { manifest: { select: { digest: true } } } })
    const row = await reg.stack.db.imageAnalysis.findUniqueOrThrow({ where: { digest: v2.manifest.digest } })
    expect(await reg.stack.store.stat(row.objectKey!)).toBeGreaterThan(0)
    expect(await deleteTag(reg.stack, 'acme/app', 'v2')).toBeTruthy()
    reg.stack.lifecycle = { gcGraceSeconds: 0 }
    const result = await runGc(reg.stack, { dryRun: false, trigger: 'manual' })
    expect(result.errors).toEqual([])
    expect(await reg.stack.db.imageAnalysis.findUnique({ where: { digest: v2.manifest.digest } })).toBeNull()
    expect(await reg.stack.store.stat(row.objectKey!)).toBeNull()
    // v1 keeps its analysis, and no object in the bucket is left unnamed
    expect((await call(`${APP}/tags/v1/efficiency`)).status).toBe(200)
    expect(await unnamedObjects(reg.stack)).toEqual([])
  }, 60_000)
})
