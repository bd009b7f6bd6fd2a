// Multi-platform images (issue 9, item 3): an OCI layout whose index.json names ONE image index imports
// as ONE tag pointing to that index; the console API describes the index with its platforms and their
// sizes; /v2/ serves the index and each platform to skopeo; the archive download saves one platform
// (?platform=) or all of them (Docker 25 multi-platform layout), and both re-import. SQLite and
// PostgreSQL, real S3-compatible server, archives built in the test.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { tarFiles } from '../helpers/read-tar'
import { providers, snapshot } from '../helpers/stack'
import { makeMultiPlatformArchive } from '../helpers/make-oci-archive'
import { measured } from '../helpers/jobs'
import { startRegistry, skopeo, sha256, request, type Registry } from './oci-support'

type Built = Awaited<ReturnType<typeof makeMultiPlatformArchive>>
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
const label = (p: { os: string | null; architecture: string | null; variant: string | null }) => [p.os, p.architecture, p.variant].filter(Boolean).join('/')

/** The images of an OCI layout written by skopeo (one image, or one index over several): config digest and diff_ids of each. */
function readLayout(dir: string) {
  const blob = (digest: string) => {
    const bytes = fs.readFileSync(path.join(dir, 'blobs', 'sha256', digest.slice(7)))
    expect(sha256(bytes)).toBe(digest)
    return bytes
  }
  const top = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')).manifests[0]
  const doc = JSON.parse(blob(top.digest).toString())
  const manifests = Array.isArray(doc.manifests) ? doc.manifests.map((m: any) => JSON.parse(blob(m.digest).toString())) : [doc]
  return manifests.map((m: any) => ({
    config: m.config.digest,
    diffIds: m.layers.map((l: any) => sha256(l.mediaType.endsWith('gzip') ? zlib.gunzipSync(blob(l.digest)) : blob(l.digest))),
  }))
}

describe.each(providers)('multi-platform images (%s)', (provider) => {
  let reg: Registry
  let work: string
  let built: Built
  let indexDigest: string

  const upload = async (archive: Buffer, query = '') => {
    const res = await request(`${reg.url}/api/uploads${query}`, { method: 'POST', body: archive, headers: { 'Content-Type': 'application/x-tar' } })
    return { status: res.status, body: await res.json() }
  }
  const getJson = async (p: string) => {
    const res = await request(`${reg.url}${p}`)
    return { status: res.status, body: await res.json() }
  }

  beforeAll(async () => {
    reg = await startRegistry(provider)
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-multi-'))
    built = await makeMultiPlatformArchive({
      reference: 'multi/app:1.0',
      platforms: [
        { architecture: 'amd64', layers: [{ size: 40_000, gzip: true }, { size: 3_000, gzip: false }] },
        { architecture: 'arm64', variant: 'v8', layers: [{ size: 50_000, gzip: true }, { size: 2_000, gzip: false }] },
      ],
    })
  })
  afterAll(async () => {
    await reg?.close()
    if (work) fs.rmSync(work, { recursive: true, force: true })
  })

  it('imports a multi-platform archive as ONE tag pointing to an image index', async () => {
    const { status, body } = await upload(built.archive)
    expect(status).toBe(201)
    indexDigest = body.index.digest
    expect(body.tags).toEqual([{ repository: 'multi/app', tag: '1.0', digest: indexDigest, status: 'created', previousDigest: null }])
    expect(body.images.map((i: any) => i.platform)).toEqual(['linux/amd64', 'linux/arm64/v8'])
    expect(body.index.archiveDigest).toBe(built.indexDigest)
    // the layers were gzip in the archive and are stored uncompressed: new child manifests, so a rebuilt index
    expect(indexDigest).not.toBe(built.indexDigest)
    expect(body.images.map((i: any) => i.manifestDigest)).not.toContain(built.platforms[0].manifestDigest)

    const tags = await getJson('/api/repositories/multi/app/tags')
    expect(tags.body.tags).toHaveLength(1)
    expect(tags.body.tags[0]).toMatchObject({ name: '1.0', kind: 'index', digest: indexDigest, platforms: ['linux/amd64', 'linux/arm64/v8'], layerCount: 4 })
    expect(tags.body.tags[0].sizes.uncompressed).toBe(sum(built.platforms.flatMap((p) => p.layerSizes)))
  })

  it('describes the index: platforms, each image with its own sizes and digest, and the totals', async () => {
    const { status, body } = await getJson('/api/repositories/multi/app/tags/1.0')
    expect(status).toBe(200)
    expect(body.kind).toBe('index')
    expect(body.digest).toBe(indexDigest)
    expect(body.platforms.map((p: any) => label(p.platform))).toEqual(['linux/amd64', 'linux/arm64/v8'])
    for (const [i, p] of body.platforms.entries()) {
      expect(p.available).toBe(true)
      expect(p.layerCount).toBe(2)
      expect(p.sizes.uncompressed).toBe(sum(built.platforms[i].layerSizes))
      expect(p.sizes.packed).toBeGreaterThan(0)
      expect(p.sizes.packed).toBeLessThan(built.archive.length)
    }
    expect(body.sizes.packed).toBe(built.archive.length)
    expect(body.sizes.uncompressed).toBe(sum(built.platforms.flatMap((p) => p.layerSizes)))
    expect(body.tagHistory).toHaveLength(1)

    // a platform image has no tag: it is shown by digest
    const child = await getJson(`/api/repositories/multi/app/digests/${body.platforms[1].digest}`)
    expect(child.status).toBe(200)
    expect(child.body).toMatchObject({ kind: 'image', digest: body.platforms[1].digest, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' }, tags: [] })
    expect(child.body.layers.map((l: any) => l.digest)).toEqual(built.platforms[1].diffIds)
    expect(child.body.config.env).toEqual(['PLATFORM=linux/arm64'])
    const missing = await getJson(`/api/repositories/multi/app/digests/sha256:${'0'.repeat(64)}`)
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'MANIFEST_NOT_FOUND' } } })
  })

  it('names the index with ?repository=&tag= instead of refusing the archive as ambiguous', async () => {
    const { status, body } = await upload(built.archive, '?repository=other/app&tag=v2')
    expect(status).toBe(201)
    expect(body.tags).toEqual([{ repository: 'other/app', tag: 'v2', digest: indexDigest, status: 'created', previousDigest: null }])
    expect((await getJson('/api/repositories/other/app/tags/v2')).body.kind).toBe('index')
  })

  it('keeps the index byte-exact when its platform layers were uncompressed in the archive', async () => {
    const plain = await makeMultiPlatformArchive({
      reference: 'multi/plain:1',
      platforms: [
        { architecture: 'amd64', layers: [{ size: 5_000, gzip: false }] },
        { architecture: 'arm64', layers: [{ size: 6_000, gzip: false }] },
      ],
    })
    const { status, body } = await upload(plain.archive)
    expect(status).toBe(201)
    expect(body.index.digest).toBe(plain.indexDigest)
    expect(body.images.map((i: any) => i.manifestDigest)).toEqual(plain.platforms.map((p) => p.manifestDigest))
    const res = await request(`${reg.url}/v2/multi/plain/manifests/1`, { headers: { Accept: 'application/vnd.oci.image.index.v1+json' } })
    expect(Buffer.from(await res.arrayBuffer()).equals(plain.indexBytes)).toBe(true)
  })

  it('reads docker save of a multi-platform image (manifest.json beside index.json) as the index; with platforms missing, as the images it holds', async () => {
    const both = await makeMultiPlatformArchive({
      reference: 'docker/save:1',
      dockerManifest: true,
      platforms: [
        { architecture: 'amd64', layers: [{ size: 4_000, gzip: false }] },
        { architecture: 'arm', variant: 'v7', layers: [{ size: 4_500, gzip: false }] },
      ],
    })
    const full = await upload(both.archive)
    expect(full.status).toBe(201)
    expect(full.body.tags).toEqual([{ repository: 'docker/save', tag: '1', digest: both.indexDigest, status: 'created', previousDigest: null }])

    // only the amd64 image was pulled: the index cannot be served whole, the amd64 image is imported
    const partial = await makeMultiPlatformArchive({
      reference: 'docker/partial:1',
      dockerManifest: true,
      missing: [1],
      platforms: [
        { architecture: 'amd64', layers: [{ size: 4_000, gzip: false }] },
        { architecture: 'arm64', layers: [{ size: 4_500, gzip: false }] },
      ],
    })
    const one = await upload(partial.archive)
    expect(one.status).toBe(201)
    expect(one.body.index).toBeUndefined()
    expect(one.body.images).toHaveLength(1)
    expect(one.body.images[0]).toMatchObject({ configDigest: partial.platforms[0].configDigest, platform: 'linux/amd64' })
    expect((await getJson('/api/repositories/docker/partial/tags/1')).body.kind).toBe('image')
  })

  it('imports what `skopeo copy --all … oci-archive:` writes as one tag to the index', async () => {
    const file = path.join(work, 'copied.tar')
    await skopeo('copy', '--all', '--src-tls-verify=false', `docker://${reg.host}/multi/app:1.0`, `oci-archive:${file}:multi/copied:3`)
    const { status, body } = await upload(fs.readFileSync(file))
    expect(status).toBe(201)
    expect(body.tags).toEqual([expect.objectContaining({ repository: 'multi/copied', tag: '3', digest: body.index.digest, status: 'created' })])
    expect(body.images.map((i: any) => [i.platform, i.configDigest])).toEqual(built.platforms.map((p) => [p.platform, p.configDigest]))
    // skopeo gzipped the layers; stored uncompressed, the platform images are the very ones pushed before
    expect(body.index.digest).toBe(indexDigest)
  })

  it('verifies the index against what index.json claims, and a refused archive leaves nothing behind', async () => {
    const lying = await makeMultiPlatformArchive({
      reference: 'bad/index:1',
      platforms: [
        { architecture: 'amd64', layers: [{ size: 3_000, gzip: true }] },
        { architecture: 'arm64', layers: [{ size: 3_000, gzip: true }] },
      ],
      editIndexJson: (j) => ({ ...j, manifests: [{ ...j.manifests[0], size: j.manifests[0].size + 1 }] }),
    })
    const before = await snapshot(reg.stack)
    const { status, body } = await upload(lying.archive)
    expect(status).toBe(422)
    expect(body.error.code).toBe('DIGEST_MISMATCH')
    expect(body.error.message).toContain(lying.indexDigest)
    expect(await snapshot(reg.stack)).toEqual(before)

    const huge = await makeMultiPlatformArchive({
      reference: 'bad/huge:1',
      platforms: Array.from({ length: 129 }, (_, i) => ({ architecture: `arch${i}`, layers: [] })),
    })
    const tooMany = await upload(huge.archive)
    expect(tooMany.status).toBe(413)
    expect(tooMany.body.error.message).toContain('at most 128')
  })

  it('serves the index and each platform through /v2/ (skopeo)', async () => {
    const raw = await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/multi/app:1.0`)
    expect(sha256(raw)).toBe(indexDigest)
    const index = JSON.parse(raw)
    expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json')
    expect(index.manifests.map((m: any) => label({ os: m.platform.os, architecture: m.platform.architecture, variant: m.platform.variant ?? null }))).toEqual([
      'linux/amd64',
      'linux/arm64/v8',
    ])

    // one platform, chosen by the client (skopeo gzips layers for an oci: destination: compare what they unpack to)
    const arm = path.join(work, 'arm')
    await skopeo('copy', '--src-tls-verify=false', '--override-os=linux', '--override-arch=arm64', '--override-variant=v8', `docker://${reg.host}/multi/app:1.0`, `oci:${arm}`)
    expect(readLayout(arm)).toEqual([{ config: built.platforms[1].configDigest, diffIds: built.platforms[1].diffIds }])

    // every platform
    const all = path.join(work, 'all')
    await skopeo('copy', '--all', '--src-tls-verify=false', `docker://${reg.host}/multi/app:1.0`, `oci:${all}`)
    expect(readLayout(all)).toEqual(built.platforms.map((p) => ({ config: p.configDigest, diffIds: p.diffIds })))
    const byDigest = await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/multi/app@${index.manifests[0].digest}`)
    expect(sha256(byDigest)).toBe(index.manifests[0].digest)
  })

  it('shows an index pushed through /v2/ (skopeo copy --all, gzip layers) and downloads it, one platform or all', async () => {
    // the built archive as an OCI layout directory: one gzip and one plain layer per platform
    const layout = path.join(work, 'layout')
    for (const [name, data] of await tarFiles(built.archive)) {
      fs.mkdirSync(path.dirname(path.join(layout, name)), { recursive: true })
      fs.writeFileSync(path.join(layout, name), data)
    }
    await skopeo('copy', '--all', '--dest-tls-verify=false', `oci:${layout}`, `docker://${reg.host}/pushed/app:7`)
    const pushed = JSON.parse(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/pushed/app:7`))
    expect(pushed.manifests.map((m: any) => m.digest)).toEqual(built.platforms.map((p) => p.manifestDigest)) // as built: gzip layers
    await measured(reg.stack) // the compressed-size jobs
    const { body } = await getJson('/api/repositories/pushed/app/tags/7')
    expect(body.kind).toBe('index')
    expect(body.platforms.map((p: any) => [label(p.platform), p.available, p.layerCount])).toEqual([
      ['linux/amd64', true, 2],
      ['linux/arm64/v8', true, 2],
    ])
    for (const [i, p] of body.platforms.entries()) {
      expect(p.sizes.packed).toBeNull() // pushed, not uploaded
      expect(p.sizes.compressed).toBeGreaterThan(0) // what was pushed (gzip)
      expect(p.sizes.uncompressed).toBe(sum(built.platforms[i].layerSizes)) // measured in the background
    }
    expect(body.sizes.uncompressed).toBe(sum(built.platforms.flatMap((p) => p.layerSizes)))
    const tags = (await getJson('/api/repositories/pushed/app/tags')).body.tags
    expect(tags[0]).toMatchObject({ kind: 'index', platforms: ['linux/amd64', 'linux/arm64/v8'] })

    // gzip layers leave the archive uncompressed, so the platform manifests and the index are rewritten
    const one = await request(`${reg.url}/api/repositories/pushed/app/tags/7/archive?platform=linux/amd64`)
    expect(one.status).toBe(200)
    const single = await upload(Buffer.from(await one.arrayBuffer()), '?repository=pushed/amd&tag=1')
    expect(single.status).toBe(201)
    expect(single.body.images[0].configDigest).toBe(built.platforms[0].configDigest)

    const res = await request(`${reg.url}/api/repositories/pushed/app/tags/7/archive`)
    expect(res.status).toBe(200)
    const bytes = Buffer.from(await res.arrayBuffer())
    expect(bytes.length).toBe(Number(res.headers.get('content-length')))
    const files = await tarFiles(bytes)
    for (const [name, data] of files) if (name.startsWith('blobs/sha256/')) expect(sha256(data)).toBe(`sha256:${name.slice(13)}`)
    const again = await upload(bytes, '?repository=pushed/again&tag=1')
    expect(again.status).toBe(201)
    expect(again.body.index.archiveDigest).not.toBe(body.digest)
    expect(again.body.index.digest).toBe(again.body.index.archiveDigest) // written with uncompressed layers: kept byte-exact
    expect(again.body.images.map((i: any) => [i.platform, i.configDigest])).toEqual(built.platforms.map((p) => [p.platform, p.configDigest]))
  })

  it('downloads one platform with ?platform=, which imports as that image', async () => {
    const res = await request(`${reg.url}/api/repositories/multi/app/tags/1.0/archive?platform=linux/arm64`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/x-tar')
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="multi_app_1.0_linux-arm64.tar"')
    const bytes = Buffer.from(await res.arrayBuffer())
    expect(bytes.length).toBe(Number(res.headers.get('content-length')))
    const files = await tarFiles(bytes)
    const manifest = JSON.parse(files.get('manifest.json')!.toString())
    expect(manifest).toEqual([{ Config: `blobs/sha256/${built.platforms[1].configDigest.slice(7)}`, RepoTags: ['multi/app:1.0'], Layers: built.platforms[1].diffIds.map((d) => `blobs/sha256/${d.slice(7)}`) }])

    const { status, body } = await upload(bytes, '?repository=single/arm&tag=1')
    expect(status).toBe(201)
    expect(body.index).toBeUndefined()
    const detail = (await getJson('/api/repositories/single/arm/tags/1')).body
    expect(detail).toMatchObject({ kind: 'image', configDigest: built.platforms[1].configDigest, platform: { architecture: 'arm64' } })
    const tagDetail = (await getJson('/api/repositories/multi/app/tags/1.0')).body
    expect(detail.digest).toBe(tagDetail.platforms[1].digest) // the very same image
  })

  it('downloads all platforms in the Docker 25 multi-platform layout, which re-imports to the same index', async () => {
    const res = await request(`${reg.url}/api/repositories/multi/app/tags/1.0/archive`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="multi_app_1.0.tar"')
    const bytes = Buffer.from(await res.arrayBuffer())
    expect(bytes.length).toBe(Number(res.headers.get('content-length')))
    const files = await tarFiles(bytes)
    const index = JSON.parse(files.get('index.json')!.toString())
    expect(index.manifests).toEqual([
      {
        mediaType: 'application/vnd.oci.image.index.v1+json',
        digest: indexDigest,
        size: expect.any(Number),
        annotations: { 'io.containerd.image.name': 'multi/app:1.0', 'org.opencontainers.image.ref.name': '1.0' },
      },
    ])
    for (const [name, data] of files) if (name.startsWith('blobs/sha256/')) expect(sha256(data)).toBe(`sha256:${name.slice(13)}`)
    expect(JSON.parse(files.get('manifest.json')!.toString())).toHaveLength(2)

    const again = await upload(bytes, '?repository=again/app&tag=1.0')
    expect(again.status).toBe(201)
    expect(again.body.index.digest).toBe(indexDigest)
    expect(again.body.index.archiveDigest).toBe(indexDigest)
  })

  it('answers an unknown or malformed platform with a JSON error, never an archive', async () => {
    const unknown = await request(`${reg.url}/api/repositories/multi/app/tags/1.0/archive?platform=linux/s390x`)
    expect(unknown.status).toBe(404)
    expect(unknown.headers.get('content-type')).toContain('application/json')
    const body = await unknown.json()
    expect(body.error.code).toBe('PLATFORM_NOT_FOUND')
    expect(body.error.message).toContain('linux/amd64, linux/arm64/v8')
    const head = await request(`${reg.url}/api/repositories/multi/app/tags/1.0/archive?platform=linux/s390x`, { method: 'HEAD' })
    expect(head.status).toBe(404)
    const bad = await request(`${reg.url}/api/repositories/multi/app/tags/1.0/archive?platform=nonsense`)
    expect(bad.status).toBe(400)
    expect((await bad.json()).error.code).toBe('PLATFORM_INVALID')
    // a single image has only its own platform
    const single = await request(`${reg.url}/api/repositories/single/arm/tags/1/archive?platform=linux/amd64`)
    expect(single.status).toBe(404)
    expect((await single.json()).error.code).toBe('PLATFORM_NOT_FOUND')
  })
})
