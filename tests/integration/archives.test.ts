// POST /api/archives: several images as ONE `docker load`-able archive. busybox and web (generated
// fixtures) share their base layer: the archive holds it once, names web by both its tags, re-imports
// through /api/uploads to the same images, reads in skopeo, gzips to the same tar; every refusal
// (unknown image, no access, bad reference, too many) comes before any byte; a client that goes
// away stops the S3 reads.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import http from 'node:http'
import { Readable } from 'node:stream'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { providers } from '../helpers/stack'
import { fixtures } from '../helpers/fixtures'
import { hasSkopeo } from '../helpers/optional'
import { startRegistry, waitFor, type Registry } from '../helpers/http-stack'
import { seedUser, basic } from '../helpers/accounts'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { makeMultiPlatformArchive } from '../helpers/make-oci-archive'
import { skopeo, sha256 } from './oci-support'
import { importArchive } from '../../lib/archive/import-archive'
import { MAX_ARCHIVE_IMAGES } from '../../lib/registry/export-archives'
import type { Services } from '../../lib/services'
import type { BlobStore } from '../../lib/storage/blob-store'
import { tarEntries } from '../helpers/read-tar'

const BUSYBOX = fixtures.facts.busybox
const WEB = fixtures.facts.web
const hex = (d: string) => d.slice(7)
const skopeoPresent = hasSkopeo()
const ADMIN = basic('admin')

/** The store, counting the object reads that are open (a read the archive forgot would stay open). */
function countingStore(store: BlobStore) {
  const counter = { open: 0, opened: 0 }
  const wrapped: BlobStore = Object.create(store)
  wrapped.read = async (key, range) => {
    const stream = await store.read(key, range)
    counter.open++
    counter.opened++
    stream.once('close', () => counter.open--)
    return stream
  }
  return { store: wrapped, counter }
}

describe.each(providers)('several images in one archive (%s)', (provider) => {
  let reg: Registry
  let work: string
  let reads: { open: number; opened: number }
  let bigLayerDigest = ''
  let multi: Awaited<ReturnType<typeof makeMultiPlatformArchive>>
  beforeAll(async () => {
    reg = await startRegistry(provider, {
      access: 'enforced',
      services: (stack): Services => {
        const counted = countingStore(stack.store)
        reads = counted.counter
        return { ...stack, store: counted.store }
      },
    })
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-archives-'))
    await seedUser(reg.stack.db, 'admin', { admin: true })
    await seedUser(reg.stack.db, 'outsider')
    const open = { ...reg.stack, auth: { ...reg.stack.auth, openAccess: true } }
    for (const f of [fixtures.files.busybox, fixtures.files.web]) await importArchive(open, { body: fs.createReadStream(fixtures.path(f)) })
    // 24 MiB: far more than the socket buffers hold, so the download is still running when the client leaves
    const big = await makeDockerArchive({ repoTags: ['big/image:v1'], layers: [await makeLayer(24 * 1024 * 1024)] })
    bigLayerDigest = big.diffIds[0]
    await importArchive(open, { body: Readable.from([big.archive]) })
    multi = await makeMultiPlatformArchive({
      reference: 'multi/app:1',
      platforms: [
        { architecture: 'amd64', layers: [{ size: 5_000, gzip: false }] },
        { architecture: 'arm64', variant: 'v8', layers: [{ size: 6_000, gzip: true }] },
      ],
    })
    await importArchive(open, { body: Readable.from([multi.archive]) })
  }, 120_000)
  afterAll(async () => {
    await reg?.close()
    if (work) fs.rmSync(work, { recursive: true, force: true })
  })

  const post = (body: unknown, query = '', headers: Record<string, string> = ADMIN) =>
    fetch(`${reg.url}/api/archives${query}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) })

  async function refusal(res: Response) {
    expect(res.headers.get('content-type')).toMatch(/application\/json/)
    const body = await res.json()
    return { status: res.status, code: body.error.code as string, message: body.error.message as string }
  }

  const threeNames = ['example.test/busybox:1.0', 'example.test/web:2.0', 'example.test/web:latest', 'example.test/web:2.0']

  it('holds each image once with all its names and each shared layer once, sized as announced', async () => {
    const res = await post({ images: threeNames })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/x-tar')
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="images-2.tar"')
    const bytes = Buffer.from(await res.arrayBuffer())
    expect(bytes.length).toBe(Number(res.headers.get('content-length')))
    fs.writeFileSync(path.join(work, 'two.tar'), bytes)

    const entries = await tarEntries(bytes)
    const names = entries.map((e) => e.name)
    expect(new Set(names).size).toBe(names.length) // no entry twice
    const base = BUSYBOX.diffIds[0]
    expect(WEB.diffIds[0]).toBe(base) // the fixtures share it
    const layers = [...new Set([...BUSYBOX.diffIds, ...WEB.diffIds])]
    expect(layers.length).toBe(BUSYBOX.diffIds.length + WEB.diffIds.length - 1)
    for (const d of [...layers, BUSYBOX.configDigest, WEB.configDigest]) expect(names).toContain(`blobs/sha256/${hex(d)}`)
    for (const e of entries.filter((e) => e.name.startsWith('blobs/sha256/') && e.type === 'file')) expect(sha256(e.data)).toBe(`sha256:${e.name.slice(13)}`)

    const json = (name: string) => JSON.parse(entries.find((e) => e.name === name)!.data.toString())
    expect(json('manifest.json')).toEqual([
      { Config: `blobs/sha256/${hex(BUSYBOX.configDigest)}`, RepoTags: ['example.test/busybox:1.0'], Layers: BUSYBOX.diffIds.map((d) => `blobs/sha256/${hex(d)}`) },
      { Config: `blobs/sha256/${hex(WEB.configDigest)}`, RepoTags: ['example.test/web:2.0', 'example.test/web:latest'], Layers: WEB.diffIds.map((d) => `blobs/sha256/${hex(d)}`) },
    ])
    expect(json('repositories')).toEqual({
      'example.test/busybox': { '1.0': hex(BUSYBOX.diffIds.at(-1)!) },
      'example.test/web': { '2.0': hex(WEB.diffIds.at(-1)!), latest: hex(WEB.diffIds.at(-1)!) },
    })
    const index = json('index.json')
    expect(index.manifests.map((m: any) => m.annotations['io.containerd.image.name'])).toEqual(['example.test/busybox:1.0', 'example.test/web:2.0', 'example.test/web:latest'])
    // the manifests the registry serves, byte for byte (imported images: uncompressed layers)
    for (const [repo, tag] of [['example.test/busybox', '1.0'], ['example.test/web', '2.0']]) {
      const digest = (await fetch(`${reg.url}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: ADMIN })).headers.get('docker-content-digest')!
      expect(names).toContain(`blobs/sha256/${hex(digest)}`)
    }
  })

  it('imports back through /api/uploads into new repositories as the same images', async () => {
    const bytes = fs.readFileSync(path.join(work, 'two.tar'))
    const res = await fetch(`${reg.url}/api/uploads?organization=copy`, { method: 'POST', headers: { ...ADMIN, 'Content-Type': 'application/x-tar' }, body: bytes })
    expect(res.status).toBe(201)
    const result = await res.json()
    const placed = result.tags.map((t: any) => `${t.repository}:${t.tag}`).sort()
    expect(placed).toEqual(['copy/busybox:1.0', 'copy/web:2.0', 'copy/web:latest'])
    for (const [from, to, facts] of [
      ['example.test/busybox:1.0', 'copy/busybox:1.0', BUSYBOX],
      ['example.test/web:latest', 'copy/web:latest', WEB],
    ] as const) {
      const detail = async (ref: string) => {
        const [repo, tag] = ref.split(':')
        const r = await fetch(`${reg.url}/api/repositories/${repo}/tags/${tag}`, { headers: ADMIN })
        expect(r.status).toBe(200)
        return r.json()
      }
      const [a, b] = [await detail(from), await detail(to)]
      expect(b.digest).toBe(a.digest)
      expect(b.layers.map((l: any) => l.digest)).toEqual(facts.diffIds)
      const config = async (ref: string) => (await (await fetch(`${reg.url}/v2/${ref.replace(':', '/manifests/')}`, { headers: ADMIN })).json()).config.digest
      expect(await config(to)).toBe(facts.configDigest)
    }
  })

  it.skipIf(!skopeoPresent)('is read by skopeo (docker-archive:PATH:repo:tag)', async () => {
    const file = path.join(work, 'two.tar')
    for (const [ref, facts] of [['example.test/busybox:1.0', BUSYBOX], ['example.test/web:latest', WEB]] as const) {
      const info = JSON.parse(await skopeo('inspect', `docker-archive:${file}:${ref}`))
      expect(info).toMatchObject({ Architecture: 'amd64', Os: 'linux', Layers: facts.diffIds })
    }
  })

  it('gzips to the same bytes, without a Content-Length (?compress=gzip and "compress": "gzip")', async () => {
    const plain = fs.readFileSync(path.join(work, 'two.tar'))
    for (const [body, query] of [[{ images: threeNames }, '?compress=gzip'], [{ images: threeNames, compress: 'gzip' }, '']] as const) {
      const res = await post(body, query)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('application/gzip')
      expect(res.headers.get('content-length')).toBeNull()
      expect(res.headers.get('content-disposition')).toBe('attachment; filename="images-2.tar.gz"')
      const gz = Buffer.from(await res.arrayBuffer())
      expect(gz.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]))
      expect(zlib.gunzipSync(gz).equals(plain)).toBe(true)
    }
  })

  it('answers a dry run with what the archive would hold', async () => {
    const res = await post({ images: ['example.test/web:2.0', 'example.test/web:latest'] }, '?dryRun=true')
    expect(res.status).toBe(200)
    const body = await res.json()
    expect(body).toEqual({ images: [{ id: WEB.configDigest, repoTags: ['example.test/web:2.0', 'example.test/web:latest'], layers: WEB.diffIds.length }], size: expect.any(Number), filename: 'example.test_web_2.0.tar', compress: null })
    const real = await post({ images: ['example.test/web:2.0', 'example.test/web:latest'] })
    expect(Number(real.headers.get('content-length'))).toBe(body.size)
    expect((await real.arrayBuffer()).byteLength).toBe(body.size)
  })

  it('takes a digest reference untagged, as docker save does, and a form post from the console', async () => {
    const digest = (await fetch(`${reg.url}/v2/example.test/busybox/manifests/1.0`, { method: 'HEAD', headers: ADMIN })).headers.get('docker-content-digest')!
    const form = new URLSearchParams({ request: JSON.stringify({ images: [`example.test/busybox@${digest}`] }) })
    const res = await fetch(`${reg.url}/api/archives`, { method: 'POST', headers: { ...ADMIN, 'Content-Type': 'application/x-www-form-urlencoded' }, body: form.toString() })
    expect(res.status).toBe(200)
    const entries = await tarEntries(Buffer.from(await res.arrayBuffer()))
    const manifest = JSON.parse(entries.find((e) => e.name === 'manifest.json')!.data.toString())
    expect(manifest).toEqual([{ Config: `blobs/sha256/${hex(BUSYBOX.configDigest)}`, RepoTags: [], Layers: BUSYBOX.diffIds.map((d) => `blobs/sha256/${hex(d)}`) }])
  })

  it('refuses, before any byte of archive, an unknown image, a bad reference, too many images and a bad compress', async () => {
    const cases: [unknown, number, string, RegExp][] = [
      [{ images: ['example.test/busybox:1.0', 'example.test/busybox:nope'] }, 404, 'TAG_NOT_FOUND', /example\.test\/busybox:nope/],
      [{ images: [`example.test/busybox@sha256:${'0'.repeat(64)}`] }, 404, 'MANIFEST_NOT_FOUND', /example\.test\/busybox@sha256:0{64}/],
      [{ images: ['example.test/busybox:1.0', 'Bad Name:1'] }, 400, 'ARCHIVE_REQUEST_INVALID', /images\[1\] "Bad Name:1"/],
      [{ images: ['example.test/busybox@sha256:123'] }, 400, 'ARCHIVE_REQUEST_INVALID', /not a digest/],
      [{ images: [{ image: 'example.test/busybox:1.0', platform: 'linux' }] }, 400, 'ARCHIVE_REQUEST_INVALID', /os\/architecture/],
      [{ images: [{ image: 'example.test/busybox:1.0', platform: 'linux/arm64' }] }, 404, 'PLATFORM_NOT_FOUND', /no linux\/arm64 platform/],
      [{ images: [] }, 400, 'ARCHIVE_REQUEST_INVALID', /non-empty list/],
      [{ images: Array(MAX_ARCHIVE_IMAGES + 1).fill('example.test/busybox:1.0') }, 400, 'TOO_MANY_IMAGES', new RegExp(`at most ${MAX_ARCHIVE_IMAGES}`)],
      [{ images: ['example.test/busybox:1.0'], compress: 'zstd' }, 400, 'ARCHIVE_REQUEST_INVALID', /compress must be "gzip"/],
      [['example.test/busybox:1.0'], 400, 'ARCHIVE_REQUEST_INVALID', /the body must be JSON/],
    ]
    for (const [body, status, code, message] of cases) {
      const r = await refusal(await post(body))
      expect(r, JSON.stringify(body).slice(0, 80)).toMatchObject({ status, code })
      expect(r.message).toMatch(message)
    }
    // duplicates are fine: the limit counts the request, and one image comes out once
    const dup = await post({ images: Array(MAX_ARCHIVE_IMAGES).fill('example.test/busybox:1.0') }, '?dryRun=true')
    expect(dup.status).toBe(200)
    expect((await dup.json()).images).toHaveLength(1)
  })

  it('needs a platform for a multi-platform tag, and saves just that platform', async () => {
    const r = await post({ images: ['example.test/busybox:1.0', 'multi/app:1'] })
    expect(r.status).toBe(400)
    const body = await r.json()
    expect(body.error.code).toBe('PLATFORM_REQUIRED')
    expect(body.error.message).toMatch(/multi\/app:1 is a multi-platform image \(linux\/amd64, linux\/arm64\/v8\)/)
    expect(body.error.detail).toEqual({ image: 'multi/app:1', platforms: ['linux/amd64', 'linux/arm64/v8'] })

    const res = await post({ images: [{ image: 'multi/app:1', platform: 'linux/arm64' }] })
    expect(res.status).toBe(200)
    const bytes = Buffer.from(await res.arrayBuffer())
    expect(bytes.length).toBe(Number(res.headers.get('content-length')))
    const entries = await tarEntries(bytes)
    const arm = multi.platforms[1]
    expect(JSON.parse(entries.find((e) => e.name === 'manifest.json')!.data.toString())).toEqual([
      { Config: `blobs/sha256/${hex(arm.configDigest)}`, RepoTags: ['multi/app:1'], Layers: arm.diffIds.map((d) => `blobs/sha256/${hex(d)}`) },
    ])
    // its gzip layer goes out uncompressed, as its diff_id says
    const layer = entries.find((e) => e.name === `blobs/sha256/${hex(arm.diffIds[0])}`)!
    expect(sha256(layer.data)).toBe(arm.diffIds[0])
    expect(JSON.parse(entries.find((e) => e.name === 'index.json')!.data.toString()).manifests[0].platform).toEqual({ architecture: 'arm64', os: 'linux', variant: 'v8' })
  })

  it('refuses a caller who may not read one of the images: 401 anonymous, 403 signed in', async () => {
    const images = ['big/image:v1', 'example.test/busybox:1.0']
    const anonymous = await refusal(await post({ images }, '', {}))
    expect(anonymous).toMatchObject({ status: 401 })
    expect(anonymous.message).toMatch(/^big\/image:v1: /)
    const outsider = await refusal(await post({ images }, '', basic('outsider')))
    expect(outsider).toMatchObject({ status: 403 })
    expect(outsider.message).toMatch(/^big\/image:v1: /)
  })

  it.each([null, 'gzip'])('stops reading from the bucket when the client goes away (compress %s)', async (compress) => {
    const before = reads.opened
    await new Promise<void>((resolve, reject) => {
      const req = http.request(`${reg.url}/api/archives`, { method: 'POST', headers: { ...ADMIN, 'Content-Type': 'application/json' } }, (res) => {
        expect(res.statusCode).toBe(200)
        let got = 0
        res.on('data', (c: Buffer) => {
          got += c.length
          // well into the big layer (the small entries come first): leave
          if (got > 2 * 1024 * 1024) {
            req.destroy()
            resolve()
          }
        })
        res.on('end', () => reject(new Error('the whole archive arrived; the test wants to leave half-way')))
      })
      req.on('error', () => {})
      req.end(JSON.stringify({ images: ['big/image:v1'], compress }))
    })
    await waitFor(async () => reads.opened > before && reads.open === 0, 'the layer read to close')
    expect(bigLayerDigest).toMatch(/^sha256:/)
  })
})
