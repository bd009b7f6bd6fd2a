// The registry API over real HTTP (fetch), against a real S3-compatible server and SQLite/PostgreSQL:
// every endpoint, the upload protocol in all its forms, and each error the API answers with.
import fs from 'node:fs'
import zlib from 'node:zlib'
import { randomBytes } from 'node:crypto'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { snapshot, providers } from '../helpers/stack'
import { fixtures } from '../helpers/fixtures'
import { startRegistry, sha256, errorOf, request, type Init, type Registry } from './oci-support'
import { importArchive } from '../../lib/archive/import-archive'
import { listen, type RunningServer } from '../../lib/http/stowage-server'
import { getImageTagDetail as getTagDetail } from '../../lib/registry/queries'
import { PART_BYTES } from '../../lib/oci/chunk-writer'

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json'
const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip'
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json'
const EMPTY_JSON = 'application/vnd.oci.empty.v1+json'
const BUSYBOX_LAYER = fixtures.facts.busybox.diffIds[0]
const BUSYBOX_LAYER_SIZE = fixtures.facts.busybox.layerSizes[0]
const MiB = 1024 * 1024

type Image = { config: Buffer; layer: Buffer; manifest: Buffer; digest: string }

/** A small, valid image: one gzip layer, a config naming its diff_id, an OCI manifest. */
function makeImage(seed: string, extra: Record<string, unknown> = {}): Image {
  const raw = Buffer.from(`layer ${seed} ${randomBytes(16).toString('hex')}`)
  const layer = zlib.gzipSync(raw)
  const config = Buffer.from(JSON.stringify({ architecture: 'arm64', os: 'linux', variant: 'v8', rootfs: { type: 'layers', diff_ids: [sha256(raw)] }, config: {} }))
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: sha256(config), size: config.length },
      layers: [{ mediaType: OCI_LAYER_GZIP, digest: sha256(layer), size: layer.length }],
      ...extra,
    }),
  )
  return { config, layer, manifest, digest: sha256(manifest) }
}

describe.each(providers)('registry API over HTTP (%s)', (provider) => {
  let reg: Registry
  const api = (path: string, init: Init = {}) => request(reg.url + path, init)

  async function pushBlob(repo: string, data: Buffer) {
    const res = await api(`/v2/${repo}/blobs/uploads/?digest=${sha256(data)}`, { method: 'POST', body: data })
    expect(res.status).toBe(201)
    return sha256(data)
  }
  async function putManifest(repo: string, reference: string, body: Buffer, contentType = OCI_MANIFEST) {
    return api(`/v2/${repo}/manifests/${reference}`, { method: 'PUT', body, headers: { 'Content-Type': contentType } })
  }
  async function pushImage(repo: string, tag: string, img: Image) {
    await pushBlob(repo, img.config)
    await pushBlob(repo, img.layer)
    const res = await putManifest(repo, tag, img.manifest)
    expect(res.status).toBe(201)
    return res
  }
  async function startSession(repo: string) {
    const res = await api(`/v2/${repo}/blobs/uploads/`, { method: 'POST' })
    expect(res.status).toBe(202)
    return res.headers.get('location')!
  }

  beforeAll(async () => {
    reg = await startRegistry(provider)
    await importArchive(reg.stack, { body: fs.createReadStream(fixtures.path(fixtures.files.busybox)) })
  })
  afterAll(async () => {
    await reg?.close()
  })

  describe('base and routing', () => {
    it('answers GET /v2/ with the API version header', async () => {
      const res = await api('/v2/')
      expect(res.status).toBe(200)
      expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0')
      expect(await res.json()).toEqual({})
    })

    it('answers unknown endpoints, wrong methods and invalid names with spec errors', async () => {
      expect(await errorOf(await api('/v2/example.test/busybox/nothing/here'))).toMatchObject({ status: 404, code: 'UNSUPPORTED' })
      const post = await api('/v2/example.test/busybox/tags/list', { method: 'POST' })
      expect(await errorOf(post)).toMatchObject({ status: 405, code: 'UNSUPPORTED' })
      expect(await errorOf(await api('/v2/Upper/Case/tags/list'))).toMatchObject({ status: 400, code: 'NAME_INVALID', message: expect.stringContaining('upper-case') })
      expect(await errorOf(await api('/v2/no/such/repo/tags/list'))).toMatchObject({ status: 404, code: 'NAME_UNKNOWN' })
    })

    it('parses repository names from the right, so a name may contain endpoint words', async () => {
      const img = makeImage('tricky')
      await pushImage('a/manifests/b/blobs/c', 'v1', img)
      const res = await api('/v2/a/manifests/b/blobs/c/manifests/v1')
      expect(res.headers.get('docker-content-digest')).toBe(img.digest)
    })
  })

  describe('pull: manifests and blobs', () => {
    it('serves an imported manifest with exact headers on HEAD and GET', async () => {
      const head = await api('/v2/example.test/busybox/manifests/1.0', { method: 'HEAD', headers: { Accept: OCI_MANIFEST } })
      expect(head.status).toBe(200)
      const digest = head.headers.get('docker-content-digest')!
      const get = await api(`/v2/example.test/busybox/manifests/${digest}`)
      const bytes = Buffer.from(await get.arrayBuffer())
      expect(sha256(bytes)).toBe(digest)
      for (const res of [head, get]) {
        expect(res.headers.get('content-type')).toBe(OCI_MANIFEST)
        expect(res.headers.get('content-length')).toBe(String(bytes.length))
        expect(res.headers.get('docker-content-digest')).toBe(digest)
      }
    })

    it('negotiates by Accept: a tag in a form the client does not accept is unknown, a digest is always served', async () => {
      const onlyDocker = { Accept: DOCKER_MANIFEST }
      const byTag = await api('/v2/example.test/busybox/manifests/1.0', { headers: onlyDocker })
      expect(await errorOf(byTag)).toMatchObject({ status: 404, code: 'MANIFEST_UNKNOWN', message: expect.stringContaining(OCI_MANIFEST) })
      const digest = (await api('/v2/example.test/busybox/manifests/1.0', { method: 'HEAD' })).headers.get('docker-content-digest')!
      expect((await api(`/v2/example.test/busybox/manifests/${digest}`, { headers: onlyDocker })).status).toBe(200)
      expect((await api('/v2/example.test/busybox/manifests/1.0', { headers: { Accept: `${DOCKER_MANIFEST}, ${OCI_MANIFEST};q=0.5` } })).status).toBe(200)
      expect((await api('/v2/example.test/busybox/manifests/1.0', { headers: { Accept: 'application/json' } })).status).toBe(200)
    })

    it('answers unknown and malformed manifest references', async () => {
      expect(await errorOf(await api('/v2/example.test/busybox/manifests/nope'))).toMatchObject({ status: 404, code: 'MANIFEST_UNKNOWN' })
      expect(await errorOf(await api(`/v2/example.test/busybox/manifests/sha256:${'0'.repeat(64)}`))).toMatchObject({ status: 404, code: 'MANIFEST_UNKNOWN' })
      expect(await errorOf(await api('/v2/example.test/busybox/manifests/sha256:totallywrong'))).toMatchObject({ status: 400, code: 'DIGEST_INVALID' })
      expect(await errorOf(await api('/v2/example.test/busybox/manifests/sha512:abc'))).toMatchObject({ status: 400, code: 'DIGEST_INVALID', message: expect.stringContaining('128') })
      expect(await errorOf(await api(`/v2/example.test/busybox/manifests/sha384:${'0'.repeat(96)}`))).toMatchObject({ status: 400, code: 'DIGEST_INVALID', message: expect.stringContaining('sha256 or sha512') })
      const head = await api('/v2/example.test/busybox/manifests/nope', { method: 'HEAD' })
      expect(head.status).toBe(404)
    })

    it('serves blobs whole, with HEAD metadata, and byte ranges computed from the known size', async () => {
      const head = await api(`/v2/example.test/busybox/blobs/${BUSYBOX_LAYER}`, { method: 'HEAD' })
      expect(head.status).toBe(200)
      expect(head.headers.get('content-length')).toBe(String(BUSYBOX_LAYER_SIZE))
      expect(head.headers.get('docker-content-digest')).toBe(BUSYBOX_LAYER)
      expect(head.headers.get('accept-ranges')).toBe('bytes')
      const whole = Buffer.from(await (await api(`/v2/example.test/busybox/blobs/${BUSYBOX_LAYER}`)).arrayBuffer())
      expect(sha256(whole)).toBe(BUSYBOX_LAYER)

      // bodies are compared by digest: deep equality of megabyte buffers is very slow
      const ranged = async (range: string) => {
        const res = await api(`/v2/example.test/busybox/blobs/${BUSYBOX_LAYER}`, { headers: { Range: range } })
        return { status: res.status, contentRange: res.headers.get('content-range'), length: res.headers.get('content-length'), body: sha256(Buffer.from(await res.arrayBuffer())) }
      }
      const part = (from: number, to?: number) => sha256(whole.subarray(from, to))
      const size = BUSYBOX_LAYER_SIZE
      expect(await ranged('bytes=0-0')).toEqual({ status: 206, contentRange: `bytes 0-0/${size}`, length: '1', body: part(0, 1) })
      expect(await ranged('bytes=-10')).toEqual({ status: 206, contentRange: `bytes ${size - 10}-${size - 1}/${size}`, length: '10', body: part(size - 10) })
      expect(await ranged('bytes=1000-1999')).toMatchObject({ status: 206, contentRange: `bytes 1000-1999/${size}`, body: part(1000, 2000) })
      expect(await ranged(`bytes=${size - 5}-`)).toMatchObject({ status: 206, body: part(size - 5) })
      expect(await ranged('bytes=2000000-99999999')).toMatchObject({ status: 206, contentRange: `bytes 2000000-${size - 1}/${size}`, body: part(2000000) })
      expect(await ranged(`bytes=-${size * 2}`)).toMatchObject({ status: 206, contentRange: `bytes 0-${size - 1}/${size}`, body: BUSYBOX_LAYER })
      expect(await ranged(`bytes=${size}-`)).toMatchObject({ status: 416, contentRange: `bytes */${size}` })
      expect(await ranged('bytes=-0')).toMatchObject({ status: 416 })
      expect(await ranged('bytes=0-1,5-6')).toMatchObject({ status: 200, body: BUSYBOX_LAYER }) // several ranges: the whole blob
    })

    it('keeps blobs to the repositories they were pushed or imported to', async () => {
      expect(await errorOf(await api(`/v2/someone/else/blobs/${BUSYBOX_LAYER}`))).toMatchObject({ status: 404, code: 'BLOB_UNKNOWN' })
      expect(await errorOf(await api(`/v2/example.test/busybox/blobs/sha256:${'1'.repeat(64)}`))).toMatchObject({ status: 404, code: 'BLOB_UNKNOWN' })
      expect(await errorOf(await api('/v2/example.test/busybox/blobs/sha256:xyz'))).toMatchObject({ status: 400, code: 'DIGEST_INVALID' })
    })
  })

  describe('push: uploads', () => {
    it('assembles a blob from chunks of any size (several below the 5 MiB S3 minimum) and reports progress', async () => {
      const data = randomBytes(2 * PART_BYTES + 6 * MiB + 123)
      const before = await snapshot(reg.stack)
      const post = await api('/v2/chunked/blob/blobs/uploads/', { method: 'POST' })
      expect(post.status).toBe(202)
      expect(post.headers.get('range')).toBe('0-0')
      const uuid = post.headers.get('docker-upload-uuid')!
      let location = post.headers.get('location')!
      expect(location).toBe(`/v2/chunked/blob/blobs/uploads/${uuid}`)

      const cuts = [0, 1 * MiB, 4 * MiB, 4 * MiB + 1, PART_BYTES + 2 * MiB + 7, 2 * PART_BYTES + 1 * MiB]
      for (let i = 0; i + 1 < cuts.length; i++) {
        const chunk = data.subarray(cuts[i], cuts[i + 1])
        const res = await api(location, { method: 'PATCH', body: chunk, headers: { 'Content-Range': `${cuts[i]}-${cuts[i + 1] - 1}`, 'Content-Type': 'application/octet-stream' } })
        expect(res.status).toBe(202)
        expect(res.headers.get('range')).toBe(`0-${cuts[i + 1] - 1}`)
        expect(res.headers.get('docker-upload-uuid')).toBe(uuid)
        location = res.headers.get('location')!
      }
      const status = await api(location)
      expect(status.status).toBe(204)
      expect(status.headers.get('range')).toBe(`0-${cuts[cuts.length - 1] - 1}`)

      // a chunk that does not continue the upload is refused with the current range
      const gap = await api(location, { method: 'PATCH', body: Buffer.alloc(10), headers: { 'Content-Range': `${cuts[cuts.length - 1] + 5}-${cuts[cuts.length - 1] + 14}` } })
      expect(await errorOf(gap)).toMatchObject({ status: 416, code: 'BLOB_UPLOAD_INVALID' })
      expect(gap.headers.get('range')).toBe(`0-${cuts[cuts.length - 1] - 1}`)
      const again = await api(location, { method: 'PATCH', body: data.subarray(0, 10), headers: { 'Content-Range': '0-9' } })
      expect(again.status).toBe(416)

      // a streamed chunk (no Content-Range, chunked transfer encoding)
      const streamedEnd = cuts[cuts.length - 1] + 3 * MiB
      const streamed = new ReadableStream({
        start(controller) {
          for (let at = cuts[cuts.length - 1]; at < streamedEnd; at += 64 * 1024) controller.enqueue(data.subarray(at, Math.min(at + 64 * 1024, streamedEnd)))
          controller.close()
        },
      })
      const patched = await api(location, { method: 'PATCH', body: streamed })
      expect(patched.status).toBe(202)
      expect(patched.headers.get('range')).toBe(`0-${streamedEnd - 1}`)

      // the last chunk comes with the PUT
      const put = await api(`${patched.headers.get('location')}?digest=${sha256(data)}`, {
        method: 'PUT',
        body: data.subarray(streamedEnd),
        headers: { 'Content-Range': `${streamedEnd}-${data.length - 1}` },
      })
      expect(put.status).toBe(201)
      expect(put.headers.get('location')).toBe(`/v2/chunked/blob/blobs/${sha256(data)}`)
      expect(put.headers.get('docker-content-digest')).toBe(sha256(data))

      const got = Buffer.from(await (await api(put.headers.get('location')!)).arrayBuffer())
      expect(got.equals(data)).toBe(true)
      // exactly one new object (the assembled blob); no tail object or staging row is left
      const after = await snapshot(reg.stack)
      expect(after.objects.filter((k) => !before.objects.includes(k))).toHaveLength(1)
      expect(after.staged).toBe(before.staged)
      expect(await reg.stack.db.blobUploadSession.count()).toBe(0)
      expect(await errorOf(await api(location))).toMatchObject({ status: 404, code: 'BLOB_UPLOAD_UNKNOWN' })
    })

    it('accepts a blob in one POST (?digest=) and in one PUT after POST', async () => {
      const a = randomBytes(3000)
      await pushBlob('mono/lithic', a)
      const location = await startSession('mono/lithic')
      const b = randomBytes(5000)
      const put = await api(`${location}?digest=${sha256(b)}`, { method: 'PUT', body: b })
      expect(put.status).toBe(201)
      expect(Buffer.from(await (await api(`/v2/mono/lithic/blobs/${sha256(b)}`)).arrayBuffer()).equals(b)).toBe(true)
      // an empty blob is a blob too
      const empty = Buffer.alloc(0)
      await pushBlob('mono/lithic', empty)
      const res = await api(`/v2/mono/lithic/blobs/${sha256(empty)}`)
      expect([res.status, res.headers.get('content-length'), (await res.arrayBuffer()).byteLength]).toEqual([200, '0', 0])
    })

    it('rejects content that does not match its digest and keeps nothing of it', async () => {
      const before = await snapshot(reg.stack)
      const data = randomBytes(PART_BYTES + 1000)
      const wrong = sha256('something else')

      const mono = await api(`/v2/digest/check/blobs/uploads/?digest=${wrong}`, { method: 'POST', body: data })
      expect(await errorOf(mono)).toMatchObject({ status: 400, code: 'DIGEST_INVALID', detail: { expected: wrong, actual: sha256(data) } })

      const location = await startSession('digest/check')
      expect((await api(location, { method: 'PATCH', body: data })).status).toBe(202)
      expect(await errorOf(await api(location, { method: 'PUT' }))).toMatchObject({ status: 400, code: 'DIGEST_INVALID', message: expect.stringContaining('missing') })
      expect(await errorOf(await api(`${location}?digest=sha256:short`, { method: 'PUT' }))).toMatchObject({ status: 400, code: 'DIGEST_INVALID' })
      expect((await api(location)).status).toBe(204) // a malformed request does not end the upload
      expect(await errorOf(await api(`${location}?digest=${wrong}`, { method: 'PUT' }))).toMatchObject({ status: 400, code: 'DIGEST_INVALID' })
      expect(await errorOf(await api(location))).toMatchObject({ status: 404, code: 'BLOB_UPLOAD_UNKNOWN' }) // a failed finish ends it

      const after = await snapshot(reg.stack)
      expect(after.objects).toEqual(before.objects)
      expect(after.blobs).toEqual(before.blobs)
      expect(after.staged).toBe(before.staged)
      expect(await reg.stack.db.blobUploadSession.count()).toBe(0)
    })

    it('cancels an upload with DELETE, deleting what it stored', async () => {
      const before = await snapshot(reg.stack)
      const location = await startSession('cancel/me')
      expect((await api(location, { method: 'PATCH', body: randomBytes(PART_BYTES + 10) })).status).toBe(202)
      expect((await api(location, { method: 'DELETE' })).status).toBe(204)
      expect(await errorOf(await api(location))).toMatchObject({ status: 404, code: 'BLOB_UPLOAD_UNKNOWN' })
      expect(await errorOf(await api(location, { method: 'DELETE' }))).toMatchObject({ status: 404, code: 'BLOB_UPLOAD_UNKNOWN' })
      const after = await snapshot(reg.stack)
      expect(after.objects).toEqual(before.objects)
      expect(after.staged).toBe(before.staged)
    })

    it('checks Content-Range headers and upload ids', async () => {
      const location = await startSession('range/check')
      const bad = await api(location, { method: 'PATCH', body: Buffer.alloc(4), headers: { 'Content-Range': 'bytes=zero-three' } })
      expect(await errorOf(bad)).toMatchObject({ status: 400, code: 'BLOB_UPLOAD_INVALID' })
      const disagree = await api(location, { method: 'PATCH', body: Buffer.alloc(4), headers: { 'Content-Range': '0-9' } })
      expect(await errorOf(disagree)).toMatchObject({ status: 400, code: 'BLOB_UPLOAD_INVALID' })
      expect((await api(location)).headers.get('range')).toBe('0-0')
      const otherRepo = location.replace('/range/check/', '/range/other/')
      expect(await errorOf(await api(otherRepo))).toMatchObject({ status: 404, code: 'BLOB_UPLOAD_UNKNOWN' })
      expect(await errorOf(await api('/v2/range/check/blobs/uploads/not-a-uuid'))).toMatchObject({ status: 404, code: 'BLOB_UPLOAD_UNKNOWN' })
    })

    it('lets one request at a time write to an upload', async () => {
      const location = await startSession('one/writer')
      let finish!: () => void
      const slow = new ReadableStream({
        start(controller) {
          controller.enqueue(randomBytes(1000))
          finish = () => controller.close()
        },
      })
      const first = api(location, { method: 'PATCH', body: slow })
      const id = location.split('/').pop()!
      for (let i = 0; i < 200 && !(await reg.stack.db.blobUploadSession.findUnique({ where: { id } }))?.lockedUntil; i++) await new Promise((r) => setTimeout(r, 25))
      const second = await api(location, { method: 'PATCH', body: Buffer.alloc(10), headers: { 'Content-Range': '0-9' } })
      expect(await errorOf(second)).toMatchObject({ status: 409, code: 'BLOB_UPLOAD_INVALID' })
      finish()
      const res = await first
      expect(res.status).toBe(202)
      expect(res.headers.get('range')).toBe('0-999')
    })

    it('mounts a blob from another repository, or falls back to an upload session', async () => {
      const mounted = await api(`/v2/other/app/blobs/uploads/?mount=${BUSYBOX_LAYER}&from=example.test/busybox`, { method: 'POST' })
      expect(mounted.status).toBe(201)
      expect(mounted.headers.get('location')).toBe(`/v2/other/app/blobs/${BUSYBOX_LAYER}`)
      expect(mounted.headers.get('docker-content-digest')).toBe(BUSYBOX_LAYER)
      const head = await api(`/v2/other/app/blobs/${BUSYBOX_LAYER}`, { method: 'HEAD' })
      expect(head.headers.get('content-length')).toBe(String(BUSYBOX_LAYER_SIZE))

      for (const query of [`mount=sha256:${'2'.repeat(64)}&from=example.test/busybox`, `mount=${BUSYBOX_LAYER}`, `mount=${BUSYBOX_LAYER}&from=no/such/repo`]) {
        const res = await api(`/v2/fallback/app/blobs/uploads/?${query}`, { method: 'POST' })
        expect(res.status).toBe(202)
        expect(res.headers.get('location')).toMatch(/^\/v2\/fallback\/app\/blobs\/uploads\/[0-9a-f-]{36}$/)
      }
      expect(await errorOf(await api('/v2/fallback/app/blobs/uploads/?mount=nonsense&from=example.test/busybox', { method: 'POST' }))).toMatchObject({ status: 400, code: 'DIGEST_INVALID' })
    })
  })

  describe('size limits', () => {
    let small: RunningServer
    beforeAll(async () => {
      small = await listen({ ...reg.stack, limits: { ...reg.stack.limits, maxLayerBytes: 1000, maxJsonBytes: 2048 } }, { port: 0, host: '127.0.0.1' })
    })
    afterAll(async () => {
      await small?.close()
    })
    const at = (path: string, init: Init = {}) => request(small.url + path, init)

    it('refuses a blob over the layer limit with 413, announced or streamed, and keeps nothing', async () => {
      const before = await snapshot(reg.stack)
      const big = randomBytes(1500)
      expect(await errorOf(await at(`/v2/limits/x/blobs/uploads/?digest=${sha256(big)}`, { method: 'POST', body: big }))).toMatchObject({ status: 413, code: 'SIZE_INVALID' })
      const location = (await at('/v2/limits/x/blobs/uploads/', { method: 'POST' })).headers.get('location')!
      expect(await errorOf(await at(location, { method: 'PATCH', body: big }))).toMatchObject({ status: 413, code: 'SIZE_INVALID' })
      expect((await at(location, { method: 'PATCH', body: big.subarray(0, 600) })).status).toBe(202)
      const streamed = new ReadableStream({
        start(c) {
          c.enqueue(big.subarray(600, 1000))
          c.enqueue(big.subarray(1000))
          c.close()
        },
      })
      expect(await errorOf(await at(location, { method: 'PATCH', body: streamed }))).toMatchObject({ status: 413, code: 'SIZE_INVALID' })
      expect((await at(location)).status).toBe(404) // an upload that can never fit is cancelled
      const after = await snapshot(reg.stack)
      expect(after.objects).toEqual(before.objects)
      expect(after.staged).toBe(before.staged)
    })

    it('refuses a manifest over the manifest limit with 413', async () => {
      const res = await at('/v2/limits/x/manifests/big', { method: 'PUT', body: Buffer.alloc(3000, 32), headers: { 'Content-Type': OCI_MANIFEST } })
      expect(await errorOf(res)).toMatchObject({ status: 413, code: 'SIZE_INVALID' })
    })
  })

  describe('push: manifests and tags', () => {
    it('stores a pushed manifest after checking every blob it references', async () => {
      const img = makeImage('checked')
      await pushBlob('push/check', img.config)
      const missing = await putManifest('push/check', 'v1', img.manifest)
      expect(await errorOf(missing)).toMatchObject({ status: 400, code: 'MANIFEST_BLOB_UNKNOWN', detail: { digest: sha256(img.layer) } })
      await pushBlob('push/check', img.layer)
      const res = await putManifest('push/check', 'v1', img.manifest)
      expect(res.status).toBe(201)
      expect(res.headers.get('location')).toBe(`/v2/push/check/manifests/${img.digest}`)
      expect(res.headers.get('docker-content-digest')).toBe(img.digest)
      const got = await api('/v2/push/check/manifests/v1')
      expect(Buffer.from(await got.arrayBuffer()).equals(img.manifest)).toBe(true)
      // the console sees the pushed image: platform from its config, layer typed, uncompressed not yet known
      const detail = (await getTagDetail(reg.stack, 'push/check', 'v1'))!
      expect(detail.platform).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' })
      expect(detail.layers).toEqual([expect.objectContaining({ digest: sha256(img.layer), compressedSize: img.layer.length, uncompressedSize: null, compressedState: 'pending' })])
      const layer = await reg.stack.db.blob.findUniqueOrThrow({ where: { digest: sha256(img.layer) } })
      expect([layer.mediaType, layer.analysisState]).toEqual([OCI_LAYER_GZIP, 'pending'])
    })

    it('checks a manifest pushed by digest against its content', async () => {
      const img = makeImage('by-digest')
      await pushBlob('push/digest', img.config)
      await pushBlob('push/digest', img.layer)
      expect(await errorOf(await putManifest('push/digest', sha256('other'), img.manifest))).toMatchObject({ status: 400, code: 'DIGEST_INVALID' })
      expect((await putManifest('push/digest', img.digest, img.manifest)).status).toBe(201)
      expect((await api(`/v2/push/digest/manifests/${img.digest}`)).status).toBe(200)
      expect(await api('/v2/push/digest/tags/list').then((r) => r.json())).toEqual({ name: 'push/digest', tags: [] })
    })

    it('rejects invalid manifests with the reason', async () => {
      const img = makeImage('invalid')
      await pushBlob('push/invalid', img.config)
      await pushBlob('push/invalid', img.layer)
      const doc = JSON.parse(img.manifest.toString())
      const cases: [Buffer, string, number, string, RegExp][] = [
        [Buffer.from('{not json'), OCI_MANIFEST, 400, 'MANIFEST_INVALID', /not valid JSON/],
        [Buffer.from(JSON.stringify({ ...doc, schemaVersion: 1 })), OCI_MANIFEST, 400, 'MANIFEST_INVALID', /schemaVersion 1/],
        [Buffer.from(JSON.stringify({ ...doc, layers: [{ ...doc.layers[0], size: 1 }] })), OCI_MANIFEST, 400, 'MANIFEST_INVALID', /has 1 bytes|says blob/],
        [Buffer.from(JSON.stringify({ ...doc, config: { digest: 'nope' } })), OCI_MANIFEST, 400, 'MANIFEST_INVALID', /config/],
        [img.manifest, DOCKER_MANIFEST, 400, 'MANIFEST_INVALID', /sent as/],
        [Buffer.from(JSON.stringify({ ...doc, mediaType: 'application/vnd.example.thing+json' })), 'application/vnd.example.thing+json', 415, 'UNSUPPORTED', /not supported/],
      ]
      for (const [body, type, status, code, message] of cases) {
        expect(await errorOf(await putManifest('push/invalid', 'v1', body, type))).toMatchObject({ status, code, message: expect.stringMatching(message) })
      }
      expect(await errorOf(await putManifest('push/invalid', '-bad-tag', img.manifest))).toMatchObject({ status: 400, code: 'MANIFEST_INVALID' })
      expect((await (await api('/v2/push/invalid/tags/list')).json()).tags).toEqual([]) // nothing was stored
    })

    it('overwrites a tag and keeps its history', async () => {
      const first = makeImage('first')
      const second = makeImage('second')
      await pushImage('push/overwrite', 'latest', first)
      await pushImage('push/overwrite', 'latest', second)
      const head = await api('/v2/push/overwrite/manifests/latest', { method: 'HEAD' })
      expect(head.headers.get('docker-content-digest')).toBe(second.digest)
      expect((await api(`/v2/push/overwrite/manifests/${first.digest}`)).status).toBe(200) // still there by digest
      const detail = (await getTagDetail(reg.stack, 'push/overwrite', 'latest'))!
      expect(detail.tagHistory.map((h) => [h.digest, h.action, h.source])).toEqual([
        [second.digest, 'set', 'push'],
        [first.digest, 'set', 'push'],
      ])
    })

    it('stores an image index whose manifests are in the repository', async () => {
      const amd = makeImage('amd')
      const arm = makeImage('arm')
      await pushImage('push/index', amd.digest, amd)
      const index = (children: Image[]) =>
        Buffer.from(
          JSON.stringify({
            schemaVersion: 2,
            mediaType: OCI_INDEX,
            manifests: children.map((c, i) => ({ mediaType: OCI_MANIFEST, digest: c.digest, size: c.manifest.length, platform: { os: 'linux', architecture: ['amd64', 'arm64'][i] } })),
          }),
        )
      expect(await errorOf(await putManifest('push/index', 'multi', index([amd, arm]), OCI_INDEX))).toMatchObject({ status: 400, code: 'MANIFEST_BLOB_UNKNOWN', detail: { digest: arm.digest } })
      await pushImage('push/index', arm.digest, arm)
      expect((await putManifest('push/index', 'multi', index([amd, arm]), OCI_INDEX)).status).toBe(201)
      const got = await api('/v2/push/index/manifests/multi', { headers: { Accept: `${OCI_INDEX}, ${OCI_MANIFEST}` } })
      expect(got.headers.get('content-type')).toBe(OCI_INDEX)
      expect(Buffer.from(await got.arrayBuffer()).equals(index([amd, arm]))).toBe(true)
    })
  })

  describe('listings', () => {
    it('lists tags in order, n/last paginated with a Link to the next page', async () => {
      const img = makeImage('tags')
      const names = ['v10', 'v2', 'A', 'latest', 'v1']
      for (const t of names) await pushImage('list/tags', t, img)
      const all = await (await api('/v2/list/tags/tags/list')).json()
      expect(all).toEqual({ name: 'list/tags', tags: ['A', 'latest', 'v1', 'v10', 'v2'] })

      const pages: string[][] = []
      let next: string | null = '/v2/list/tags/tags/list?n=2'
      while (next) {
        const res: Response = await api(next)
        pages.push((await res.json()).tags)
        const link = res.headers.get('link')
        next = link ? /^<([^>]+)>; rel="next"$/.exec(link)![1] : null
      }
      expect(pages).toEqual([['A', 'latest'], ['v1', 'v10'], ['v2']])
      expect((await (await api('/v2/list/tags/tags/list?n=10&last=v1')).json()).tags).toEqual(['v10', 'v2'])
      expect((await (await api('/v2/list/tags/tags/list?n=0')).json()).tags).toEqual([])
      expect(await errorOf(await api('/v2/list/tags/tags/list?n=-1'))).toMatchObject({ status: 400, code: 'UNSUPPORTED' })
    })

    it('lists repositories in the catalog, paginated', async () => {
      const all: string[] = (await (await api('/v2/_catalog')).json()).repositories
      expect(all).toContain('example.test/busybox')
      expect(all).toEqual([...all].sort())
      const first = await api('/v2/_catalog?n=2')
      expect((await first.json()).repositories).toEqual(all.slice(0, 2))
      expect(first.headers.get('link')).toBe(`</v2/_catalog?n=2&last=${encodeURIComponent(all[1])}>; rel="next"`)
      const rest = await api(`/v2/_catalog?n=1000&last=${encodeURIComponent(all[1])}`)
      expect((await rest.json()).repositories).toEqual(all.slice(2))
      expect(rest.headers.get('link')).toBeNull()
    })
  })

  describe('referrers', () => {
    it('lists the manifests that refer to a subject, filtered by artifactType', async () => {
      const subject = makeImage('subject')
      await pushImage('refs/app', 'v1', subject)
      const empty = Buffer.from('{}')
      await pushBlob('refs/app', empty)
      const sbom = Buffer.from('{"sbom":true}')
      await pushBlob('refs/app', sbom)
      const subjectDescriptor = { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.manifest.length }
      const artifact = (artifactType: string | null, configType: string, note: string) =>
        Buffer.from(
          JSON.stringify({
            schemaVersion: 2,
            mediaType: OCI_MANIFEST,
            ...(artifactType ? { artifactType } : {}),
            config: { mediaType: configType, digest: sha256(empty), size: empty.length },
            layers: [{ mediaType: 'application/spdx+json', digest: sha256(sbom), size: sbom.length }],
            subject: subjectDescriptor,
            annotations: { 'org.example.note': note },
          }),
        )
      const a = artifact('application/vnd.example.sbom', EMPTY_JSON, 'a')
      const b = artifact(null, 'application/vnd.example.signature', 'b')
      for (const m of [a, b]) {
        const res = await putManifest('refs/app', sha256(m), m)
        expect(res.status).toBe(201)
        expect(res.headers.get('oci-subject')).toBe(subject.digest)
      }
      const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, artifactType: 'application/vnd.example.bundle', manifests: [], subject: subjectDescriptor }))
      expect((await putManifest('refs/app', sha256(index), index, OCI_INDEX)).headers.get('oci-subject')).toBe(subject.digest)

      const res = await api(`/v2/refs/app/referrers/${subject.digest}`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe(OCI_INDEX)
      expect(res.headers.get('oci-filters-applied')).toBeNull()
      const body = await res.json()
      expect(body).toEqual({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [
          { mediaType: OCI_MANIFEST, digest: sha256(a), size: a.length, artifactType: 'application/vnd.example.sbom', annotations: { 'org.example.note': 'a' } },
          { mediaType: OCI_MANIFEST, digest: sha256(b), size: b.length, artifactType: 'application/vnd.example.signature', annotations: { 'org.example.note': 'b' } },
          { mediaType: OCI_INDEX, digest: sha256(index), size: index.length, artifactType: 'application/vnd.example.bundle' },
        ],
      })
      const filtered = await api(`/v2/refs/app/referrers/${subject.digest}?artifactType=application/vnd.example.signature`)
      expect(filtered.headers.get('oci-filters-applied')).toBe('artifactType')
      expect((await filtered.json()).manifests.map((m: any) => m.digest)).toEqual([sha256(b)])

      for (const path of [`/v2/refs/app/referrers/sha256:${'3'.repeat(64)}`, `/v2/no/repo/referrers/${subject.digest}`]) {
        const none = await api(path)
        expect([none.status, (await none.json()).manifests]).toEqual([200, []])
      }
      expect(await errorOf(await api('/v2/refs/app/referrers/sha256:nope'))).toMatchObject({ status: 400, code: 'DIGEST_INVALID' })
    })
  })

  describe('delete', () => {
    it('deletes a tag, then the manifest by digest, then a blob', async () => {
      const img = makeImage('delete')
      await pushImage('del/app', 'v1', img)
      await pushImage('del/app', 'v2', img)
      expect((await api('/v2/del/app/manifests/v1', { method: 'DELETE' })).status).toBe(202)
      expect((await (await api('/v2/del/app/tags/list')).json()).tags).toEqual(['v2'])
      expect((await api(`/v2/del/app/manifests/${img.digest}`)).status).toBe(200)

      expect((await api(`/v2/del/app/manifests/${img.digest}`, { method: 'DELETE' })).status).toBe(202)
      expect(await errorOf(await api(`/v2/del/app/manifests/${img.digest}`))).toMatchObject({ status: 404, code: 'MANIFEST_UNKNOWN' })
      expect((await (await api('/v2/del/app/tags/list')).json()).tags).toEqual([]) // its tags went with it
      expect(await errorOf(await api(`/v2/del/app/manifests/${img.digest}`, { method: 'DELETE' }))).toMatchObject({ status: 404, code: 'MANIFEST_UNKNOWN' })
      expect(await errorOf(await api('/v2/del/app/manifests/v1', { method: 'DELETE' }))).toMatchObject({ status: 404, code: 'MANIFEST_UNKNOWN' })
      const history = await reg.stack.db.tagEvent.findMany({ where: { repository: { name: 'del/app' } }, orderBy: { id: 'asc' } })
      expect(history.map((h) => `${h.tag}:${h.action}`)).toEqual(['v1:set', 'v2:set', 'v1:delete', 'v2:delete'])

      const layer = sha256(img.layer)
      expect((await api(`/v2/del/app/blobs/${layer}`, { method: 'DELETE' })).status).toBe(202)
      expect(await errorOf(await api(`/v2/del/app/blobs/${layer}`))).toMatchObject({ status: 404, code: 'BLOB_UNKNOWN' })
      expect(await errorOf(await api(`/v2/del/app/blobs/${layer}`, { method: 'DELETE' }))).toMatchObject({ status: 404, code: 'BLOB_UNKNOWN' })
      expect(await errorOf(await api('/v2/never/was/manifests/v1', { method: 'DELETE' }))).toMatchObject({ status: 404, code: 'NAME_UNKNOWN' })
    })
  })
})
