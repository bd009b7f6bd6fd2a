// sha512 content, the digest-algorithm of an upload, unsatisfiable ranges and tags on push: the additions
// of the newest distribution spec, over real HTTP against a real S3-compatible server and SQLite/PostgreSQL.
import { createHash, randomBytes } from 'node:crypto'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { providers, snapshot } from '../helpers/stack'
import { startRegistry, reopen, request, errorOf, sha256, locationPath, type Init, type Registry } from './oci-support'
import { PART_BYTES } from '../../lib/oci/chunk-writer'
import { MAX_TAGS_ON_PUSH } from '../../lib/oci/manifests'
import { tarFiles } from '../helpers/read-tar'

const sha512 = (b: Buffer | string) => 'sha512:' + createHash('sha512').update(b).digest('hex')
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json'
const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar'

type Digester = (b: Buffer | string) => string

/** An image whose descriptors use `digest` (sha256 or sha512). */
function image(digest: Digester, seed = randomBytes(8).toString('hex')) {
  const layer = Buffer.from(`layer ${seed} ${randomBytes(32).toString('hex')}`)
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] }, seed }))
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: digest(config), size: config.length },
      layers: [{ mediaType: OCI_LAYER, digest: digest(layer), size: layer.length }],
    }),
  )
  return { layer, config, manifest }
}

describe.each(providers)('digests and the newest protocol additions (%s)', (provider) => {
  let reg: Registry
  const api = (path: string, init: Init = {}) => request(reg.url + path, init)
  const sessions = () => reg.stack.db.blobUploadSession.count()

  beforeAll(async () => {
    reg = await startRegistry(provider)
  })
  afterAll(async () => {
    await reg?.close()
  })

  async function pushMonolithic(repo: string, data: Buffer, digest: string) {
    const res = await api(`/v2/${repo}/blobs/uploads/?digest=${digest}`, { method: 'POST', body: data })
    expect(res.status, await res.clone().text()).toBe(201)
    expect(res.headers.get('docker-content-digest')).toBe(digest)
    expect(res.headers.get('location')).toBe(`/v2/${repo}/blobs/${digest}`)
  }
  async function pullBlob(repo: string, digest: string) {
    const res = await api(`/v2/${repo}/blobs/${digest}`)
    return { status: res.status, digest: res.headers.get('docker-content-digest'), body: Buffer.from(await res.arrayBuffer()) }
  }
  async function start(repo: string, query = '') {
    const res = await api(`/v2/${repo}/blobs/uploads/${query}`, { method: 'POST' })
    expect(res.status).toBe(202)
    return locationPath(res)
  }

  describe('sha512 blobs', () => {
    it('pushes in one POST and pulls by the sha512 digest (GET and HEAD)', async () => {
      const data = randomBytes(3000)
      await pushMonolithic('digests/blobs', data, sha512(data))
      const got = await pullBlob('digests/blobs', sha512(data))
      expect(got).toMatchObject({ status: 200, digest: sha512(data) })
      expect(got.body.equals(data)).toBe(true)
      const head = await api(`/v2/digests/blobs/blobs/${sha512(data)}`, { method: 'HEAD' })
      expect(head.status).toBe(200)
      expect(head.headers.get('content-length')).toBe(String(data.length))
      expect(head.headers.get('docker-content-digest')).toBe(sha512(data))
      // stored under the digest the client named: the same bytes are not known by their sha256
      expect((await pullBlob('digests/blobs', sha256(data))).status).toBe(404)
      expect(await reg.stack.db.blob.findUnique({ where: { digest: sha512(data) } })).toMatchObject({ size: BigInt(data.length) })
    })

    it('pushes with POST then PUT, the session started with digest-algorithm=sha512', async () => {
      const data = randomBytes(5000)
      const location = await start('digests/blobs', '?digest-algorithm=sha512')
      const put = await api(`${location}?digest=${sha512(data)}`, { method: 'PUT', body: data })
      expect(put.status).toBe(201)
      expect(put.headers.get('docker-content-digest')).toBe(sha512(data))
      expect((await pullBlob('digests/blobs', sha512(data))).body.equals(data)).toBe(true)
    })

    it('pushes in chunks, in the algorithm named at the start or only at the end', async () => {
      for (const query of ['?digest-algorithm=sha512', '']) {
        const data = randomBytes(PART_BYTES + 1500) // a full multipart part and a tail
        const location = await start('digests/chunked', query)
        const cut = PART_BYTES + 700
        const patch = await api(location, { method: 'PATCH', body: data.subarray(0, cut), headers: { 'Content-Range': `0-${cut - 1}` } })
        expect(patch.status).toBe(202)
        expect(patch.headers.get('range')).toBe(`0-${cut - 1}`)
        const put = await api(`${locationPath(patch)}?digest=${sha512(data)}`, {
          method: 'PUT',
          body: data.subarray(cut),
          headers: { 'Content-Range': `${cut}-${data.length - 1}` },
        })
        expect(put.status, `${query}: ${await put.clone().text()}`).toBe(201)
        const got = await pullBlob('digests/chunked', sha512(data))
        expect(sha512(got.body)).toBe(sha512(data))
      }
    })

    it('finishes a session started as sha512 with a sha256 digest too (the blob is read back)', async () => {
      const data = randomBytes(2000)
      const location = await start('digests/blobs', '?digest-algorithm=sha512')
      expect((await api(location, { method: 'PATCH', body: data })).status).toBe(202)
      const put = await api(`${location}?digest=${sha256(data)}`, { method: 'PUT' })
      expect(put.status).toBe(201)
      expect((await pullBlob('digests/blobs', sha256(data))).body.equals(data)).toBe(true)
    })

    it('refuses content that does not match its sha512 digest, and keeps nothing', async () => {
      const data = randomBytes(1000)
      const wrong = sha512(Buffer.concat([data, Buffer.from('x')]))
      const before = await snapshot(reg.stack)
      const post = await api(`/v2/digests/blobs/blobs/uploads/?digest=${wrong}`, { method: 'POST', body: data })
      expect(await errorOf(post)).toMatchObject({ status: 400, code: 'DIGEST_INVALID', detail: { expected: wrong, actual: sha512(data) } })
      const location = await start('digests/blobs', '?digest-algorithm=sha512')
      const put = await api(`${location}?digest=${wrong}`, { method: 'PUT', body: data })
      expect(await errorOf(put)).toMatchObject({ status: 400, code: 'DIGEST_INVALID', detail: { actual: sha512(data) } })
      expect((await pullBlob('digests/blobs', wrong)).status).toBe(404)
      const after = await snapshot(reg.stack)
      expect(after.objects).toEqual(before.objects)
      expect(await sessions()).toBe(0)
    })

    it('mounts a sha512 blob from another repository', async () => {
      const data = randomBytes(700)
      await pushMonolithic('digests/source', data, sha512(data))
      const mount = await api(`/v2/digests/target/blobs/uploads/?mount=${sha512(data)}&from=digests/source`, { method: 'POST' })
      expect(mount.status).toBe(201)
      expect(mount.headers.get('location')).toBe(`/v2/digests/target/blobs/${sha512(data)}`)
      expect((await pullBlob('digests/target', sha512(data))).body.equals(data)).toBe(true)
      // a mount that cannot be done starts an upload, which then pushes the sha512 blob
      const other = randomBytes(300)
      const fallback = await api(`/v2/digests/target/blobs/uploads/?mount=${sha512(other)}&from=digests/source`, { method: 'POST' })
      expect(fallback.status).toBe(202)
      expect((await api(`${locationPath(fallback)}?digest=${sha512(other)}`, { method: 'PUT', body: other })).status).toBe(201)
    })

    it('serves byte ranges of a sha512 blob', async () => {
      const data = randomBytes(1000)
      await pushMonolithic('digests/blobs', data, sha512(data))
      const part = await api(`/v2/digests/blobs/blobs/${sha512(data)}`, { headers: { Range: 'bytes=10-19' } })
      expect(part.status).toBe(206)
      expect(Buffer.from(await part.arrayBuffer())).toEqual(data.subarray(10, 20))
    })
  })

  describe('an algorithm this registry does not know is refused when the upload starts', () => {
    it.each(['sha384', 'blake3', 'md5', 'SHA512', 'sha512!', ''])('POST ?digest-algorithm=%j', async (algorithm) => {
      const before = await sessions()
      const res = await api(`/v2/digests/refused/blobs/uploads/?digest-algorithm=${encodeURIComponent(algorithm)}`, { method: 'POST' })
      const error = await errorOf(res)
      expect(error).toMatchObject({ status: 400, code: 'DIGEST_INVALID' })
      expect(error.message).toContain('sha256 or sha512')
      expect(await sessions()).toBe(before)
      expect(res.headers.get('location')).toBeNull()
    })

    it.each([
      [`sha384:${'a'.repeat(96)}`, 'sha384'],
      [`blake3:${'b'.repeat(64)}`, 'blake3'],
      ['junk', 'not a digest'],
      [`sha512:${'c'.repeat(64)}`, '128 lower-case hex digits'],
    ])('POST ?digest=%s (a whole blob in one request)', async (digest, said) => {
      const before = await snapshot(reg.stack)
      const res = await api(`/v2/digests/refused/blobs/uploads/?digest=${digest}`, { method: 'POST', body: randomBytes(1024) })
      const error = await errorOf(res)
      expect(error).toMatchObject({ status: 400, code: 'DIGEST_INVALID' })
      expect(error.message).toContain(said)
      expect(await sessions()).toBe(0)
      expect((await snapshot(reg.stack)).objects).toEqual(before.objects)
    })

    it('refuses a digest-algorithm that contradicts the digest', async () => {
      const data = randomBytes(10)
      const res = await api(`/v2/digests/refused/blobs/uploads/?digest-algorithm=sha256&digest=${sha512(data)}`, { method: 'POST', body: data })
      expect(await errorOf(res)).toMatchObject({ status: 400, code: 'DIGEST_INVALID' })
      expect(await sessions()).toBe(0)
    })

    it('accepts sha256 named explicitly', async () => {
      const data = randomBytes(10)
      const location = await start('digests/refused', '?digest-algorithm=sha256')
      expect((await api(`${location}?digest=${sha256(data)}`, { method: 'PUT', body: data })).status).toBe(201)
    })
  })

  describe('sha512 manifests', () => {
    it('stores a manifest pushed by its sha512 digest under that digest, and serves it by it', async () => {
      const img = image(sha512)
      for (const blob of [img.layer, img.config]) await pushMonolithic('digests/manifests', blob, sha512(blob))
      const digest = sha512(img.manifest)
      const put = await api(`/v2/digests/manifests/manifests/${digest}`, { method: 'PUT', body: img.manifest, headers: { 'Content-Type': OCI_MANIFEST } })
      expect(put.status, await put.clone().text()).toBe(201)
      expect(put.headers.get('docker-content-digest')).toBe(digest)
      expect(put.headers.get('location')).toBe(`/v2/digests/manifests/manifests/${digest}`)
      const get = await api(`/v2/digests/manifests/manifests/${digest}`, { headers: { Accept: OCI_MANIFEST } })
      expect(get.status).toBe(200)
      expect(get.headers.get('docker-content-digest')).toBe(digest)
      expect(get.headers.get('content-type')).toBe(OCI_MANIFEST)
      expect(Buffer.from(await get.arrayBuffer()).equals(img.manifest)).toBe(true)
      const head = await api(`/v2/digests/manifests/manifests/${digest}`, { method: 'HEAD', headers: { Accept: OCI_MANIFEST } })
      expect([head.status, head.headers.get('content-length')]).toEqual([200, String(img.manifest.length)])
      // not under the sha256 of the same bytes
      expect((await api(`/v2/digests/manifests/manifests/${sha256(img.manifest)}`)).status).toBe(404)
      // the console shows it by its digest too
      const detail = await api(`/api/repositories/digests/manifests/digests/${digest}`)
      expect(detail.status).toBe(200)
      expect(JSON.stringify(await detail.json())).toContain(digest)
      // an index of sha512 children, also by its sha512 digest
      const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest, size: img.manifest.length }] }))
      const putIndex = await api(`/v2/digests/manifests/manifests/${sha512(index)}`, { method: 'PUT', body: index, headers: { 'Content-Type': OCI_INDEX } })
      expect(putIndex.status, await putIndex.clone().text()).toBe(201)
      expect((await api(`/v2/digests/manifests/manifests/${sha512(index)}`, { headers: { Accept: OCI_INDEX } })).status).toBe(200)
    })

    it('refuses a manifest whose sha512 is not the digest it was pushed as', async () => {
      const img = image(sha512)
      for (const blob of [img.layer, img.config]) await pushMonolithic('digests/manifests', blob, sha512(blob))
      const wrong = sha512(Buffer.concat([img.manifest, Buffer.from(' ')]))
      const put = await api(`/v2/digests/manifests/manifests/${wrong}`, { method: 'PUT', body: img.manifest, headers: { 'Content-Type': OCI_MANIFEST } })
      expect(await errorOf(put)).toMatchObject({ status: 400, code: 'DIGEST_INVALID', detail: { expected: wrong, actual: sha512(img.manifest) } })
      expect((await api(`/v2/digests/manifests/manifests/${wrong}`)).status).toBe(404)
    })

    it('lists a sha512 referrer of a sha512 subject', async () => {
      const img = image(sha512)
      for (const blob of [img.layer, img.config]) await pushMonolithic('digests/referrers', blob, sha512(blob))
      const subject = sha512(img.manifest)
      expect((await api(`/v2/digests/referrers/manifests/${subject}`, { method: 'PUT', body: img.manifest, headers: { 'Content-Type': OCI_MANIFEST } })).status).toBe(201)
      const empty = Buffer.from('{}')
      await pushMonolithic('digests/referrers', empty, sha512(empty))
      const referrer = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          artifactType: 'application/vnd.stowage.test',
          config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha512(empty), size: 2 },
          layers: [{ mediaType: 'application/vnd.oci.empty.v1+json', digest: sha512(empty), size: 2 }],
          subject: { mediaType: OCI_MANIFEST, digest: subject, size: img.manifest.length },
        }),
      )
      const put = await api(`/v2/digests/referrers/manifests/${sha512(referrer)}`, { method: 'PUT', body: referrer, headers: { 'Content-Type': OCI_MANIFEST } })
      expect(put.status).toBe(201)
      expect(put.headers.get('oci-subject')).toBe(subject)
      const list = await (await api(`/v2/digests/referrers/referrers/${subject}`)).json()
      expect(list.manifests.map((m: { digest: string }) => m.digest)).toEqual([sha512(referrer)])
    })
  })

  describe('416 Range Not Satisfiable', () => {
    it('answers an unsatisfiable range of a blob, and of a manifest fetched as a blob', async () => {
      const data = randomBytes(100)
      await pushMonolithic('digests/ranges', data, sha256(data))
      const blob = await api(`/v2/digests/ranges/blobs/${sha256(data)}`, { headers: { Range: 'bytes=100-' } })
      expect([blob.status, blob.headers.get('content-range')]).toEqual([416, 'bytes */100'])

      const img = image(sha256)
      for (const b of [img.layer, img.config]) await pushMonolithic('digests/ranges', b, sha256(b))
      expect((await api(`/v2/digests/ranges/manifests/v1`, { method: 'PUT', body: img.manifest, headers: { 'Content-Type': OCI_MANIFEST } })).status).toBe(201)
      const path = `/v2/digests/ranges/blobs/${sha256(img.manifest)}`
      const size = img.manifest.length
      const beyond = await api(path, { headers: { Range: `bytes=${size}-` } })
      expect([beyond.status, beyond.headers.get('content-range')]).toEqual([416, `bytes */${size}`])
      const part = await api(path, { headers: { Range: 'bytes=0-9' } })
      expect([part.status, part.headers.get('content-range')]).toEqual([206, `bytes 0-9/${size}`])
      expect(Buffer.from(await part.arrayBuffer())).toEqual(img.manifest.subarray(0, 10))
      expect(Buffer.from(await (await api(path)).arrayBuffer()).equals(img.manifest)).toBe(true)
    })

    it('answers a chunk that does not start at the offset with 416, by PATCH or by the closing PUT, and the session goes on', async () => {
      const data = randomBytes(3000)
      const location = await start('digests/ranges')
      expect((await api(location, { method: 'PATCH', body: data.subarray(0, 1000), headers: { 'Content-Range': '0-999' } })).status).toBe(202)
      for (const [method, query] of [
        ['PATCH', ''],
        ['PUT', `?digest=${sha256(data)}`],
      ]) {
        // ahead of the offset, and back to the start
        for (const [from, to] of [
          [2000, 2999],
          [0, 999],
        ]) {
          const res = await api(location + query, { method, body: data.subarray(from, to + 1), headers: { 'Content-Range': `${from}-${to}` } })
          expect(await errorOf(res)).toMatchObject({ status: 416, code: 'BLOB_UPLOAD_INVALID', detail: { received: 1000 } })
          expect(res.headers.get('range')).toBe('0-999')
          expect(res.headers.get('location')).toBe(location)
        }
      }
      const status = await api(location)
      expect([status.status, status.headers.get('range')]).toEqual([204, '0-999'])
      expect((await api(location, { method: 'PATCH', body: data.subarray(1000, 2000), headers: { 'Content-Range': '1000-1999' } })).status).toBe(202)
      const put = await api(`${location}?digest=${sha256(data)}`, { method: 'PUT', body: data.subarray(2000), headers: { 'Content-Range': '2000-2999' } })
      expect(put.status).toBe(201)
      expect((await pullBlob('digests/ranges', sha256(data))).body.equals(data)).toBe(true)
    })
  })

  describe('tags on push (?tag=, OCI-Tag)', () => {
    async function pushBlobsOf(repo: string, img: ReturnType<typeof image>, digest: Digester) {
      for (const blob of [img.layer, img.config]) await pushMonolithic(repo, blob, digest(blob))
    }
    const put = (repo: string, reference: string, body: Buffer, query = '') =>
      api(`/v2/${repo}/manifests/${reference}${query}`, { method: 'PUT', body, headers: { 'Content-Type': OCI_MANIFEST } })
    const tagsOf = async (repo: string): Promise<string[]> => (await (await api(`/v2/${repo}/tags/list`)).json()).tags

    it('points every tag at the manifest pushed by digest and names each in an OCI-Tag header', async () => {
      const img = image(sha256)
      await pushBlobsOf('digests/tagged', img, sha256)
      const res = await put('digests/tagged', sha256(img.manifest), img.manifest, '?tag=v1&tag=latest&tag=v1')
      expect(res.status, await res.clone().text()).toBe(201)
      expect(res.headers.get('docker-content-digest')).toBe(sha256(img.manifest))
      // one header per tag (fetch joins repeated headers with ", "), each tag once
      expect(res.headers.get('oci-tag')).toBe('v1, latest')
      expect(await tagsOf('digests/tagged')).toEqual(['latest', 'v1'])
      for (const tag of ['v1', 'latest']) {
        const got = await api(`/v2/digests/tagged/manifests/${tag}`, { headers: { Accept: OCI_MANIFEST } })
        expect(got.headers.get('docker-content-digest')).toBe(sha256(img.manifest))
      }
      // recorded as pushes of each tag: the tag history and the audit log
      const repository = await reg.stack.db.repository.findUniqueOrThrow({ where: { name: 'digests/tagged' } })
      const events = await reg.stack.db.tagEvent.findMany({ where: { repositoryId: repository.id }, orderBy: { tag: 'asc' } })
      expect(events.map((e) => [e.tag, e.action, e.source, e.manifestDigest])).toEqual([
        ['latest', 'set', 'push', sha256(img.manifest)],
        ['v1', 'set', 'push', sha256(img.manifest)],
      ])
      const audit = await reg.stack.db.auditEvent.findMany({ where: { action: 'manifest.push', target: { startsWith: 'digests/tagged:' } } })
      expect(audit.map((a) => a.target).sort()).toEqual([`digests/tagged:latest@${sha256(img.manifest)}`, `digests/tagged:v1@${sha256(img.manifest)}`])

      // moving a tag with the next push
      const next = image(sha256)
      await pushBlobsOf('digests/tagged', next, sha256)
      const moved = await put('digests/tagged', sha256(next.manifest), next.manifest, '?tag=latest')
      expect(moved.headers.get('oci-tag')).toBe('latest')
      const latest = await api('/v2/digests/tagged/manifests/latest', { headers: { Accept: OCI_MANIFEST } })
      expect(latest.headers.get('docker-content-digest')).toBe(sha256(next.manifest))
      // a push by digest without tags names none
      const plain = image(sha256)
      await pushBlobsOf('digests/tagged', plain, sha256)
      expect((await put('digests/tagged', sha256(plain.manifest), plain.manifest)).headers.get('oci-tag')).toBeNull()
    })

    it('tags a manifest pushed by its sha512 digest, which the console exports as a sha256 image layout', async () => {
      const img = image(sha512)
      await pushBlobsOf('digests/tagged512', img, sha512)
      const res = await put('digests/tagged512', sha512(img.manifest), img.manifest, '?tag=v512')
      expect(res.status).toBe(201)
      expect(res.headers.get('oci-tag')).toBe('v512')
      const got = await api('/v2/digests/tagged512/manifests/v512', { headers: { Accept: OCI_MANIFEST } })
      expect(got.headers.get('docker-content-digest')).toBe(sha512(img.manifest))

      const archive = await api('/api/repositories/digests/tagged512/tags/v512/archive')
      expect(archive.status).toBe(200)
      const files = await tarFiles(Buffer.from(await archive.arrayBuffer()))
      const hex = (d: string) => d.slice(d.indexOf(':') + 1)
      expect(files.get(`blobs/sha256/${hex(sha256(img.config))}`)?.equals(img.config)).toBe(true)
      expect(files.get(`blobs/sha256/${hex(sha256(img.layer))}`)?.equals(img.layer)).toBe(true)
      const [entry] = JSON.parse(files.get('manifest.json')!.toString())
      expect(entry.Config).toBe(`blobs/sha256/${hex(sha256(img.config))}`)
    })

    it('refuses invalid tags, too many tags, and tags on a push by tag, storing nothing', async () => {
      const img = image(sha256)
      await pushBlobsOf('digests/badtags', img, sha256)
      const digest = sha256(img.manifest)
      const cases: [string, string, string][] = [
        [digest, '?tag=ok&tag=.hidden', '".hidden" is not a valid tag'],
        [digest, `?tag=${'x'.repeat(129)}`, 'is not a valid tag'],
        [digest, '?tag=', 'is not a valid tag'],
        [digest, `?${Array.from({ length: MAX_TAGS_ON_PUSH + 1 }, (_, i) => `tag=t${i}`).join('&')}`, `at most ${MAX_TAGS_ON_PUSH} tags`],
        ['v1', '?tag=v2', 'push by digest'],
      ]
      for (const [reference, query, said] of cases) {
        const res = await put('digests/badtags', reference, img.manifest, query)
        const error = await errorOf(res)
        expect(error, query.slice(0, 40)).toMatchObject({ status: 400, code: 'MANIFEST_INVALID' })
        expect(error.message).toContain(said)
      }
      expect(await reg.stack.db.manifest.count({ where: { repository: { name: 'digests/badtags' } } })).toBe(0)
      expect(await reg.stack.db.tag.count({ where: { repository: { name: 'digests/badtags' } } })).toBe(0)
    })
  })

  describe('across a restart', () => {
    it('finishes a chunked sha512 push on a new server, the running hash lost with the first', async () => {
      const data = randomBytes(PART_BYTES + 3 * 1024 * 1024 + 77)
      const cut = PART_BYTES + 1000
      const first = await reopen(reg.stack)
      const post = await request(`${first.server.url}/v2/digests/restart/blobs/uploads/?digest-algorithm=sha512`, { method: 'POST' })
      const location = locationPath(post)
      expect((await request(first.server.url + location, { method: 'PATCH', body: data.subarray(0, cut), headers: { 'Content-Range': `0-${cut - 1}` } })).status).toBe(202)
      await first.close()

      const second = await reopen(reg.stack)
      try {
        const status = await request(second.server.url + location)
        expect([status.status, status.headers.get('range')]).toEqual([204, `0-${cut - 1}`])
        const flipped = Buffer.from(data)
        flipped[1] ^= 1
        // a wrong sha512 digest is still refused on the new server
        const other = locationPath(await request(`${second.server.url}/v2/digests/restart/blobs/uploads/?digest-algorithm=sha512`, { method: 'POST' }))
        const refused = await request(`${second.server.url}${other}?digest=${sha512(flipped)}`, { method: 'PUT', body: data })
        expect(await errorOf(refused)).toMatchObject({ status: 400, code: 'DIGEST_INVALID', detail: { actual: sha512(data) } })

        const put = await request(`${second.server.url}${location}?digest=${sha512(data)}`, { method: 'PUT', body: data.subarray(cut) })
        expect(put.status, await put.clone().text()).toBe(201)
        const got = Buffer.from(await (await request(`${second.server.url}/v2/digests/restart/blobs/${sha512(data)}`)).arrayBuffer())
        expect(sha512(got)).toBe(sha512(data))
        expect(await sessions()).toBe(0)
      } finally {
        await second.close()
      }
    })
  })
})
