// The newest checks of the OCI distribution-spec conformance suite (opencontainers/distribution-spec,
// the rewritten suite in conformance/: run.go, api.go), replayed with fetch against a real Stowage
// server, as oci-conformance.test.ts replays the older ginkgo suite (the Go suite cannot run here: no Go
// modules offline). Replayed, with the suite's requests and accepted answers:
// - the blob matrix ("Blobs sha256", "Blobs sha512"): every way to push a blob (one POST, POST+PUT,
//   chunked, streamed, chunks out of order answered 416, cancel, mount, mount of a missing blob, the
//   well-known empty blobs), each followed by HEAD, GET and DELETE, and the bad-digest variants;
// - the data sets "Digest Algorithm sha512" (an index of two images, every digest sha512, pushed by
//   digest), "Tag Param" and "Tag Param sha512" (the same pushed by digest with ?tag=, answered with
//   OCI-Tag): push, tag list, HEAD and GET by digest and tag, delete of tags, manifests and blobs.
// Not replayed: anonymous mount (no `from`) is answered 202 by Stowage, which the suite records as
// "unsupported" (a skip, not a failure); it is asserted here as that fallback.
import { createHash, randomBytes } from 'node:crypto'
import zlib from 'node:zlib'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { providers } from '../helpers/stack'
import { packToBuffer } from '../helpers/make-archive'
import { startRegistry, request, type Registry } from './oci-support'

type Algo = 'sha256' | 'sha512'
const digestOf = (algo: Algo, b: Buffer) => `${algo}:${createHash(algo).update(b).digest('hex')}`

const OCI_IMAGE = 'application/vnd.oci.image.manifest.v1+json'
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json'
const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip'
const OCTET = { 'Content-Type': 'application/octet-stream' }
/** conformance/config.go: the smallest chunk the suite sends (Stowage announces no OCI-Chunk-Min-Length). */
const CHUNK_MIN = 1024

type Reply = { status: number; headers: Headers; body: Buffer }

for (const provider of providers)
describe(`OCI conformance suite, newest checks (${provider})`, () => {
  let reg: Registry
  const repo1 = 'conformance/repo1'
  const repo2 = 'conformance/repo2'

  beforeAll(async () => {
    reg = await startRegistry(provider)
  })
  afterAll(async () => {
    await reg?.close()
  })

  async function call(method: string, path: string, opts: { body?: Buffer; headers?: Record<string, string>; query?: [string, string][] } = {}): Promise<Reply> {
    const url = new URL(path, reg.url)
    for (const [k, v] of opts.query ?? []) url.searchParams.append(k, v)
    const res = await request(url.toString(), { method, headers: opts.headers, body: opts.body })
    return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) }
  }
  const uploads = (repo: string) => `/v2/${repo}/blobs/uploads/`
  const blobPath = (repo: string, digest: string) => `/v2/${repo}/blobs/${digest}`
  const locationOf = (r: Reply) => {
    const location = r.headers.get('location')
    expect(location, `status ${r.status} without Location`).toBeTruthy()
    return location!
  }
  /** api.go VerifyDigest: a Docker-Content-Digest, when sent, is the digest asked for. */
  const expectDigestHeader = (r: Reply, digest: string) => {
    const h = r.headers.get('docker-content-digest')
    if (h) expect(h).toBe(digest)
  }
  /** api.go BlobVerifyLocation: the Location of a finished push serves the bytes. */
  async function verifyLocation(location: string, bytes: Buffer) {
    const r = await call('GET', location)
    expect(r.status).toBe(200)
    expect(r.body.equals(bytes)).toBe(true)
  }

  // ---- the blob push APIs of api.go, with their accepted answers ----

  async function postOnly(repo: string, digest: string, bytes: Buffer, bad = false) {
    const r = await call('POST', uploads(repo), { query: [['digest', digest]], headers: OCTET, body: bytes })
    if (bad) return expect([400, 202]).toContain(r.status)
    expect(r.status, String(r.body)).toBe(201) // 202 would be "single POST unsupported"
    expectDigestHeader(r, digest)
    await verifyLocation(locationOf(r), bytes)
  }
  async function postPut(repo: string, digest: string, bytes: Buffer, bad = false) {
    const post = await call('POST', uploads(repo))
    expect(post.status).toBe(202)
    const put = await call('PUT', locationOf(post), { query: [['digest', digest]], headers: OCTET, body: bytes })
    if (bad) return expect(put.status).toBe(400)
    expect(put.status, String(put.body)).toBe(201)
    expectDigestHeader(put, digest)
    await verifyLocation(locationOf(put), bytes)
  }
  async function stream(repo: string, digest: string, bytes: Buffer, bad = false) {
    const post = await call('POST', uploads(repo), { headers: { 'Content-Length': '0' } })
    expect(post.status).toBe(202)
    const patch = await call('PATCH', locationOf(post), { headers: OCTET, body: bytes })
    expect(patch.status).toBe(202)
    const put = await call('PUT', locationOf(patch), { query: [['digest', digest]], headers: OCTET })
    if (bad) return expect(put.status).toBe(400)
    expect(put.status).toBe(201)
    expectDigestHeader(put, digest)
    await verifyLocation(locationOf(put), bytes)
  }
  /** api.go BlobPatchChunked: three chunks of at least CHUNK_MIN bytes; optionally the last in the PUT, optionally a wrong chunk before each. */
  async function chunked(repo: string, digest: string, bytes: Buffer, o: { putLastChunk?: boolean; outOfOrder?: boolean; bad?: boolean } = {}) {
    const post = await call('POST', uploads(repo), { headers: { 'Content-Length': '0' } })
    expect(post.status).toBe(202)
    expect(post.headers.get('oci-chunk-min-length')).toBeNull()
    let location = locationOf(post)
    const size = Math.min(Math.max(Math.floor(bytes.length / 3) + 1, CHUNK_MIN), bytes.length)
    let lastByte = -1
    let finished: Reply | null = null
    while (lastByte < bytes.length - 1) {
      if (o.outOfOrder) {
        let badStart = lastByte + 1 + size
        if (badStart >= bytes.length) badStart = 0
        const badLast = Math.min(badStart + size - 1, bytes.length - 1)
        const closing = o.putLastChunk && badLast === bytes.length - 1
        const wrong = await call(closing ? 'PUT' : 'PATCH', location, {
          query: closing ? [['digest', digest]] : [],
          headers: { ...OCTET, 'Content-Range': `${badStart}-${badLast}` },
          body: bytes.subarray(badStart, badLast + 1),
        })
        expect(wrong.status).toBe(416)
        location = wrong.headers.get('location') ?? location
        const status = await call('GET', location)
        expect(status.status).toBe(204)
        location = status.headers.get('location') ?? location
        const range = status.headers.get('range') ?? ''
        expect(range.startsWith('0-')).toBe(true)
        if (lastByte >= 0) expect(Number(range.slice(2))).toBe(lastByte)
      }
      const start = lastByte + 1
      lastByte = Math.min(start + size - 1, bytes.length - 1)
      const last = lastByte === bytes.length - 1
      const r = await call(o.putLastChunk && last ? 'PUT' : 'PATCH', location, {
        query: o.putLastChunk && last ? [['digest', digest]] : [],
        headers: { ...OCTET, 'Content-Range': `${start}-${lastByte}` },
        body: bytes.subarray(start, lastByte + 1),
      })
      if (o.putLastChunk && last) {
        if (o.bad) return expect(r.status).toBe(400)
        expect(r.status, String(r.body)).toBe(201)
        finished = r
      } else {
        expect(r.status).toBe(202)
        expect(r.headers.get('range')).toBe(`0-${lastByte}`)
        location = locationOf(r)
      }
    }
    if (!o.putLastChunk) {
      const put = await call('PUT', location, { query: [['digest', digest]], headers: { ...OCTET, 'Content-Length': '0' } })
      if (o.bad) return expect(put.status).toBe(400)
      expect(put.status).toBe(201)
      finished = put
    }
    expectDigestHeader(finished!, digest)
    await verifyLocation(locationOf(finished!), bytes)
  }
  /** api.go BlobMount: 201 mounts; 202 is the fallback to POST+PUT (then "unsupported"). */
  async function mount(repo: string, from: string | null, digest: string, bytes: Buffer): Promise<'mounted' | 'fallback'> {
    const query: [string, string][] = [['mount', digest], ...(from ? ([['from', from]] as [string, string][]) : [])]
    const post = await call('POST', uploads(repo), { query })
    expect([201, 202]).toContain(post.status)
    if (post.status === 201) {
      expectDigestHeader(post, digest)
      await verifyLocation(locationOf(post), bytes)
      return 'mounted'
    }
    const put = await call('PUT', locationOf(post), { query: [['digest', digest]], headers: OCTET, body: bytes })
    expect(put.status).toBe(201)
    expectDigestHeader(put, digest)
    await verifyLocation(locationOf(put), bytes)
    return 'fallback'
  }
  async function headBlob(repo: string, digest: string, bytes: Buffer) {
    const r = await call('HEAD', blobPath(repo, digest))
    expect(r.status).toBe(200)
    expect(r.body.length).toBe(0)
    expect(r.headers.get('content-length')).toBe(String(bytes.length))
    expectDigestHeader(r, digest)
  }
  async function getBlob(repo: string, digest: string, bytes: Buffer) {
    const r = await call('GET', blobPath(repo, digest))
    expect(r.status).toBe(200)
    expect(r.body.equals(bytes)).toBe(true)
    expect(r.headers.get('content-length')).toBe(String(bytes.length))
    expectDigestHeader(r, digest)
  }
  /** api.go BlobDelete + the "atomic" check: 202, then HEAD answers 404. */
  async function deleteBlob(repo: string, digest: string) {
    const r = await call('DELETE', blobPath(repo, digest))
    expect([202, 404, 405]).toContain(r.status)
    expect(r.status).toBe(202) // blob deletion is on in Stowage
    expect((await call('HEAD', blobPath(repo, digest))).status).toBe(404)
  }

  for (const algo of ['sha256', 'sha512'] as Algo[]) {
    describe(`${algo} blobs`, () => {
      const blob = (size = 512) => {
        const bytes = randomBytes(size)
        return { bytes, digest: digestOf(algo, bytes) }
      }
      const bigBlob = () => blob(CHUNK_MIN * 3 - 5)
      const pushed = async (push: (repo: string, digest: string, bytes: Buffer) => Promise<unknown>, b = blob()) => {
        await push(repo1, b.digest, b.bytes)
        await headBlob(repo1, b.digest, b.bytes)
        await getBlob(repo1, b.digest, b.bytes)
        await deleteBlob(repo1, b.digest)
      }

      it('get-missing', async () => {
        expect((await call('GET', blobPath(repo1, blob().digest))).status).toBe(404)
      })
      it('post only', () => pushed(postOnly))
      it('post+put', () => pushed(postPut))
      it('chunked single', () => pushed((r, d, b) => chunked(r, d, b)))
      it('stream', () => pushed(stream))
      it('mount', async () => {
        const b = blob()
        await postPut(repo2, b.digest, b.bytes)
        expect(await mount(repo1, repo2, b.digest, b.bytes)).toBe('mounted')
        await headBlob(repo1, b.digest, b.bytes)
        await getBlob(repo1, b.digest, b.bytes)
        await deleteBlob(repo1, b.digest)
        await deleteBlob(repo2, b.digest)
      })
      it('mount anonymous (answered with the fallback upload)', async () => {
        const b = blob()
        await postPut(repo2, b.digest, b.bytes)
        expect(await mount(repo1, null, b.digest, b.bytes)).toBe('fallback')
        await headBlob(repo1, b.digest, b.bytes)
        await deleteBlob(repo1, b.digest)
        await deleteBlob(repo2, b.digest)
      })
      it('mount missing', async () => {
        const b = blob()
        expect(await mount(repo1, repo2, b.digest, b.bytes)).toBe('fallback')
        await deleteBlob(repo1, b.digest)
      })
      it('post cancel', async () => {
        const post = await call('POST', uploads(repo1))
        expect(post.status).toBe(202)
        expect((await call('DELETE', locationOf(post), { headers: { 'Content-Length': '0' } })).status).toBe(204)
        expect((await call('GET', locationOf(post))).status).toBe(404)
      })
      it('chunked multi', () => pushed((r, d, b) => chunked(r, d, b), bigBlob()))
      it('chunked multi and put chunk', () => pushed((r, d, b) => chunked(r, d, b, { putLastChunk: true }), bigBlob()))
      it('chunked out-of-order', () => pushed((r, d, b) => chunked(r, d, b, { outOfOrder: true }), bigBlob()))
      it('chunked out-of-order and put chunk', () => pushed((r, d, b) => chunked(r, d, b, { outOfOrder: true, putLastChunk: true }), bigBlob()))
      for (const [name, bytes] of [
        ['empty', Buffer.alloc(0)],
        ['emptyJSON', Buffer.from('{}')],
      ] as const) {
        it(name, async () => {
          const digest = digestOf(algo, bytes)
          await postPut(repo1, digest, bytes)
          await headBlob(repo1, digest, bytes)
          await getBlob(repo1, digest, bytes)
          await deleteBlob(repo1, digest)
        })
      }
      // the bytes are changed after their digest was taken: every push must be refused
      const corrupt = () => {
        const b = bigBlob()
        return { digest: b.digest, bytes: Buffer.concat([b.bytes, Buffer.from('oh no')]) }
      }
      it('bad digest post only', async () => {
        const b = corrupt()
        await postOnly(repo1, b.digest, b.bytes, true)
      })
      it('bad digest post+put', async () => {
        const b = corrupt()
        await postPut(repo1, b.digest, b.bytes, true)
      })
      it('bad digest chunked', async () => {
        const b = corrupt()
        await chunked(repo1, b.digest, b.bytes, { bad: true })
      })
      it('bad digest chunked and put chunk', async () => {
        const b = corrupt()
        await chunked(repo1, b.digest, b.bytes, { bad: true, putLastChunk: true })
      })
      it('bad digest stream', async () => {
        const b = corrupt()
        await stream(repo1, b.digest, b.bytes, true)
        expect((await call('HEAD', blobPath(repo1, b.digest))).status).toBe(404)
      })
    })
  }

  // ---- data sets: an index of two images (testdata.go genIndexFull), by digest, optionally with tags ----

  type Data = { blobs: Map<string, Buffer>; manifests: { digest: string; bytes: Buffer; mediaType: string }[]; tags: Map<string, string> }

  async function indexData(algo: Algo, tagPrefix: string | null): Promise<Data> {
    const blobs = new Map<string, Buffer>()
    const manifests: Data['manifests'] = []
    const add = (b: Buffer) => {
      const d = digestOf(algo, b)
      blobs.set(d, b)
      return { digest: d, size: b.length }
    }
    const children = []
    for (const architecture of ['amd64', 'arm64']) {
      const tar = await packToBuffer([{ name: `layer-${architecture}.txt`, data: randomBytes(64) }])
      const layer = zlib.gzipSync(tar)
      const config = Buffer.from(JSON.stringify({ architecture, os: 'linux', rootfs: { type: 'layers', diff_ids: [digestOf(algo, tar)] } }))
      const manifest = Buffer.from(
        JSON.stringify({ schemaVersion: 2, mediaType: OCI_IMAGE, config: { mediaType: OCI_CONFIG, ...add(config) }, layers: [{ mediaType: OCI_LAYER_GZIP, ...add(layer) }] }),
      )
      const digest = digestOf(algo, manifest)
      manifests.push({ digest, bytes: manifest, mediaType: OCI_IMAGE })
      children.push({ mediaType: OCI_IMAGE, digest, size: manifest.length, platform: { architecture, os: 'linux' } })
    }
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: children }))
    manifests.push({ digest: digestOf(algo, index), bytes: index, mediaType: OCI_INDEX })
    const tags = new Map<string, string>()
    if (tagPrefix) {
      // run.go: the top-level index is tagged, and every manifest gets "<prefix>-<i>"
      tags.set(tagPrefix, manifests[2].digest)
      manifests.forEach((m, i) => tags.set(`${tagPrefix}-${i}`, m.digest))
    }
    return { blobs, manifests, tags }
  }

  const dataSets: [string, Algo, string | null][] = [
    ['Digest Algorithm sha512', 'sha512', null],
    ['Tag Param', 'sha256', 'tag-param-sha256'],
    ['Tag Param sha512', 'sha512', 'tag-param-sha512'],
  ]
  for (const [name, algo, tagPrefix] of dataSets) {
    describe(name, () => {
      let data: Data
      const manifestPath = (reference: string) => `/v2/${repo1}/manifests/${reference}`
      const accept = { Accept: `${OCI_INDEX}, ${OCI_IMAGE}` }
      beforeAll(async () => {
        data = await indexData(algo, tagPrefix)
      })

      it('push', async () => {
        for (const [digest, bytes] of data.blobs) await postPut(repo1, digest, bytes)
        for (const m of data.manifests) {
          const tags = [...data.tags].filter(([, d]) => d === m.digest).map(([t]) => t)
          const r = await call('PUT', manifestPath(m.digest), { headers: { 'Content-Type': m.mediaType }, body: m.bytes, query: tags.map((t) => ['tag', t]) })
          expect(r.status, String(r.body)).toBe(201)
          expect(r.headers.get('docker-content-digest')).toBe(m.digest)
          // run.go TestPushManifestDigest: each tag named in an OCI-Tag value (comma-separated values allowed)
          const said = (r.headers.get('oci-tag') ?? '').split(',').map((s) => s.trim()).filter(Boolean)
          expect(said.sort()).toEqual([...tags].sort())
          const back = await call('GET', locationOf(r), { headers: accept })
          expect([back.status, back.headers.get('content-type'), back.headers.get('content-length')]).toEqual([200, m.mediaType, String(m.bytes.length)])
          expect(back.body.equals(m.bytes)).toBe(true)
        }
      })
      it('tag-list', async () => {
        const r = await call('GET', `/v2/${repo1}/tags/list`)
        expect(r.status).toBe(200)
        const listed: string[] = JSON.parse(String(r.body)).tags ?? []
        for (const tag of data.tags.keys()) expect(listed).toContain(tag)
      })
      it('head', async () => {
        for (const [tag, digest] of data.tags) {
          const r = await call('HEAD', manifestPath(tag), { headers: accept })
          expect([r.status, r.body.length]).toEqual([200, 0])
          expectDigestHeader(r, digest)
        }
        for (const m of data.manifests) {
          const r = await call('HEAD', manifestPath(m.digest), { headers: accept })
          expect([r.status, r.headers.get('content-type'), r.headers.get('content-length')]).toEqual([200, m.mediaType, String(m.bytes.length)])
          expectDigestHeader(r, m.digest)
        }
        for (const [digest, bytes] of data.blobs) await headBlob(repo1, digest, bytes)
      })
      it('pull', async () => {
        for (const [tag, digest] of data.tags) {
          const m = data.manifests.find((x) => x.digest === digest)!
          const r = await call('GET', manifestPath(tag), { headers: accept })
          expect([r.status, r.headers.get('content-type')]).toEqual([200, m.mediaType])
          expect(r.body.equals(m.bytes)).toBe(true)
          expectDigestHeader(r, digest)
        }
        for (const m of data.manifests) {
          const r = await call('GET', manifestPath(m.digest), { headers: accept })
          expect(r.status).toBe(200)
          expect(r.body.equals(m.bytes)).toBe(true)
          expectDigestHeader(r, m.digest)
        }
        for (const [digest, bytes] of data.blobs) await getBlob(repo1, digest, bytes)
      })
      it('delete', async () => {
        for (const tag of data.tags.keys()) {
          expect((await call('DELETE', manifestPath(tag))).status).toBe(202)
          expect((await call('HEAD', manifestPath(tag), { headers: accept })).status).toBe(404)
        }
        for (const m of [...data.manifests].reverse()) {
          expect([202, 404]).toContain((await call('DELETE', manifestPath(m.digest))).status)
          expect((await call('HEAD', manifestPath(m.digest), { headers: accept })).status).toBe(404)
        }
        for (const digest of data.blobs.keys()) await deleteBlob(repo1, digest)
      })
    })
  }
})
