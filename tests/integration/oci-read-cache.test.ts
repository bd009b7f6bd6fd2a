// The pull path's one-query lookups and its cache of manifest bytes (lib/oci/read-queries.ts), with two
// instances on one database and bucket (tests/helpers/gc-instances.ts: each its own database client,
// so each its own cache): whatever one instance changes — a tag moved or deleted, a manifest deleted,
// a blob unlinked, garbage collection — the other answers accordingly on its very next request, and
// the instance that deleted a manifest no longer holds its bytes.
import { randomBytes } from 'node:crypto'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { providers } from '../helpers/stack'
import { registryForTests } from '../helpers/http-stack'
import { startInstance, type Instance } from '../helpers/gc-instances'
import { image, pushImage, sha256, OCI_MANIFEST, OCI_INDEX } from '../helpers/registry-client'
import { blobCache, manifestCache } from '../../lib/oci/read-queries'
import { runGc } from '../../lib/gc/run-gc'
import { createAccessToken, revokeAccessToken, verifyAccessToken } from '../../lib/auth/access-tokens'

const ACCEPT = { Accept: [OCI_MANIFEST, OCI_INDEX].join(', ') }

describe.each(providers)('pull path lookups and manifest cache across instances (%s)', (provider) => {
  const reg = registryForTests(provider, { timeout: 60_000 })
  // B: another instance on the same database and bucket; its garbage collection has no grace period
  let b: Instance
  beforeAll(async () => {
    b = await startInstance(reg.stack, { gcGraceSeconds: 0 })
  }, 60_000)
  afterAll(async () => {
    await b?.close()
  })
  const a = () => ({ url: reg.url, db: reg.stack.db })

  const getManifest = async (url: string, repo: string, ref: string, method = 'GET') => {
    const res = await fetch(`${url}/v2/${repo}/manifests/${ref}`, { method, headers: ACCEPT })
    const body = Buffer.from(await res.arrayBuffer())
    const code = res.status >= 400 && method === 'GET' ? (JSON.parse(body.toString()).errors?.[0]?.code as string) : null
    return { status: res.status, body, code, digest: res.headers.get('docker-content-digest'), type: res.headers.get('content-type'), length: res.headers.get('content-length') }
  }
  const getBlob = async (url: string, repo: string, digest: string) => {
    const res = await fetch(`${url}/v2/${repo}/blobs/${digest}`)
    return { status: res.status, body: Buffer.from(await res.arrayBuffer()) }
  }
  const del = async (url: string, path: string) => (await fetch(`${url}${path}`, { method: 'DELETE' })).status

  it('serves a manifest by tag and digest from one lookup, the bytes cached by digest', async () => {
    const img = image([randomBytes(200)], 'cached')
    expect((await pushImage(reg.url, 'cache/one', 'v1', img)).status).toBe(201)
    const cache = manifestCache(reg.stack.db)
    const before = cache.stats()
    const first = await getManifest(a().url, 'cache/one', 'v1')
    expect(first).toMatchObject({ status: 200, digest: img.digest, type: OCI_MANIFEST, length: String(img.manifest.length) })
    expect(first.body.equals(img.manifest)).toBe(true)
    expect(cache.has(img.digest)).toBe(true)
    // the second GET (by digest) and a HEAD take the bytes from the cache: hits, no new miss
    const second = await getManifest(a().url, 'cache/one', img.digest)
    expect(second.body.equals(img.manifest)).toBe(true)
    const head = await getManifest(a().url, 'cache/one', 'v1', 'HEAD')
    expect(head).toMatchObject({ status: 200, digest: img.digest, length: String(img.manifest.length) })
    expect(head.body.length).toBe(0)
    const after = cache.stats()
    expect(after.hits - before.hits).toBe(2)
    expect(after.misses - before.misses).toBe(1)
    // the manifest through the blob endpoint: the same bytes, from the same lookup
    expect((await getBlob(a().url, 'cache/one', img.digest)).body.equals(img.manifest)).toBe(true)
    // unknown repository vs unknown tag/digest in a known one
    expect((await getManifest(a().url, 'cache/none', 'v1')).code).toBe('NAME_UNKNOWN')
    expect((await getManifest(a().url, 'cache/one', 'v2')).code).toBe('MANIFEST_UNKNOWN')
    expect((await getManifest(a().url, 'cache/one', sha256('other'))).code).toBe('MANIFEST_UNKNOWN')
    // the same digest is not served from another repository that lacks it, cache or not
    expect((await getManifest(a().url, 'cache/none', img.digest)).code).toBe('NAME_UNKNOWN')
    expect((await pushImage(reg.url, 'cache/two', 'v1', image([randomBytes(100)], 'other'))).status).toBe(201)
    expect((await getManifest(a().url, 'cache/two', img.digest)).code).toBe('MANIFEST_UNKNOWN')
    expect((await getBlob(a().url, 'cache/two', img.digest)).status).toBe(404)
  })

  it('serves a small blob from memory after the link check, whole or a range; a large one from the store', async () => {
    const small = randomBytes(5000)
    const large = randomBytes(blobCache(reg.stack.db).maxEntryBytes + 1)
    const img = image([small, large], 'blobs')
    expect((await pushImage(reg.url, 'cache/blobs', 'v1', img)).status).toBe(201)
    const cache = blobCache(reg.stack.db)
    const [s, l] = [sha256(small), sha256(large)]
    expect(cache.has(s)).toBe(false)
    expect((await getBlob(a().url, 'cache/blobs', s)).body.equals(small)).toBe(true)
    expect(cache.has(s)).toBe(true)
    const hits = cache.stats().hits
    expect((await getBlob(a().url, 'cache/blobs', s)).body.equals(small)).toBe(true)
    const ranged = await fetch(`${a().url}/v2/cache/blobs/blobs/${s}`, { headers: { Range: 'bytes=100-199' } })
    expect(ranged.status).toBe(206)
    expect(ranged.headers.get('content-range')).toBe(`bytes 100-199/${small.length}`)
    expect(Buffer.from(await ranged.arrayBuffer()).equals(small.subarray(100, 200))).toBe(true)
    expect(cache.stats().hits - hits).toBe(2)
    // over the entry bound: streamed every time, never kept
    expect((await getBlob(a().url, 'cache/blobs', l)).body.equals(large)).toBe(true)
    expect(cache.has(l)).toBe(false)
    // cached or not, another repository without the link gets nothing
    expect((await getBlob(a().url, 'cache/one', s)).status).toBe(404)
  })

  it('sees a tag moved and then deleted through the other instance on its next request', async () => {
    const [x, y] = [image([randomBytes(150)], 'x'), image([randomBytes(160)], 'y')]
    expect((await pushImage(reg.url, 'cache/moves', 'latest', x)).status).toBe(201)
    expect((await getManifest(a().url, 'cache/moves', 'latest')).digest).toBe(x.digest)
    expect(manifestCache(reg.stack.db).has(x.digest)).toBe(true)
    // B moves the tag: A answers the new manifest at once
    expect((await pushImage(b.url, 'cache/moves', 'latest', y)).status).toBe(201)
    const moved = await getManifest(a().url, 'cache/moves', 'latest')
    expect(moved.digest).toBe(y.digest)
    expect(moved.body.equals(y.manifest)).toBe(true)
    // B deletes the tag: A no longer finds it, while the manifest itself stays reachable by digest
    expect(await del(b.url, '/v2/cache/moves/manifests/latest')).toBe(202)
    expect((await getManifest(a().url, 'cache/moves', 'latest')).code).toBe('MANIFEST_UNKNOWN')
    expect((await getManifest(a().url, 'cache/moves', y.digest)).status).toBe(200)
  })

  it('does not serve a manifest that another instance deleted, though its bytes are in this cache', async () => {
    const img = image([randomBytes(170)], 'deleted')
    expect((await pushImage(reg.url, 'cache/deleted', 'v1', img)).status).toBe(201)
    expect((await getManifest(a().url, 'cache/deleted', img.digest)).status).toBe(200)
    expect(manifestCache(reg.stack.db).has(img.digest)).toBe(true)
    expect(await del(b.url, `/v2/cache/deleted/manifests/${img.digest}`)).toBe(202)
    // A's cache still holds the bytes (nothing told it), yet every read path refuses
    expect(manifestCache(reg.stack.db).has(img.digest)).toBe(true)
    expect((await getManifest(a().url, 'cache/deleted', img.digest)).code).toBe('MANIFEST_UNKNOWN')
    expect((await getManifest(a().url, 'cache/deleted', 'v1')).code).toBe('MANIFEST_UNKNOWN')
    expect((await getManifest(a().url, 'cache/deleted', img.digest, 'HEAD')).status).toBe(404)
    expect((await getBlob(a().url, 'cache/deleted', img.digest)).status).toBe(404)
    // B unlinks the layer, which A holds in its blob cache: A refuses the blob too
    const layer = sha256(img.layers[0])
    expect((await getBlob(a().url, 'cache/deleted', layer)).body.equals(img.layers[0])).toBe(true)
    expect(blobCache(reg.stack.db).has(layer)).toBe(true)
    expect(await del(b.url, `/v2/cache/deleted/blobs/${layer}`)).toBe(202)
    expect((await getBlob(a().url, 'cache/deleted', layer)).status).toBe(404)
  })

  it('forgets a manifest it deleted itself, by DELETE or by garbage collection', async () => {
    const [byDelete, byGc] = [image([randomBytes(180)], 'by-delete'), image([randomBytes(190)], 'by-gc')]
    expect((await pushImage(reg.url, 'cache/local', 'd', byDelete)).status).toBe(201)
    expect((await pushImage(reg.url, 'cache/local', 'g', byGc)).status).toBe(201)
    // keeps the repository (garbage collection deletes repositories left empty)
    expect((await pushImage(reg.url, 'cache/local', 'keep', image([randomBytes(50)], 'keep'))).status).toBe(201)
    expect((await getManifest(a().url, 'cache/local', 'd')).status).toBe(200)
    expect(manifestCache(reg.stack.db).has(byDelete.digest)).toBe(true)
    expect(await del(a().url, `/v2/cache/local/manifests/${byDelete.digest}`)).toBe(202)
    expect(manifestCache(reg.stack.db).has(byDelete.digest)).toBe(false)

    // B reads the other one (now in B's cache), A untags it, B's garbage collection deletes it
    expect((await getManifest(b.url, 'cache/local', 'g')).status).toBe(200)
    expect(manifestCache(b.services.db).has(byGc.digest)).toBe(true)
    const layer = sha256(byGc.layers[0])
    expect((await getBlob(b.url, 'cache/local', layer)).status).toBe(200)
    expect(blobCache(b.services.db).has(layer)).toBe(true)
    expect(await del(a().url, '/v2/cache/local/manifests/g')).toBe(202)
    const result = await runGc(b.services, { dryRun: false, trigger: 'manual' })
    expect(result.state).toBe('done')
    expect(await reg.stack.db.manifest.count({ where: { digest: byGc.digest } })).toBe(0)
    expect(manifestCache(b.services.db).has(byGc.digest)).toBe(false)
    // its layer, unreferenced and past the (zero) grace, went with it: out of B's blob cache too
    expect(await reg.stack.db.blob.count({ where: { digest: layer } })).toBe(0)
    expect(blobCache(b.services.db).has(layer)).toBe(false)
    expect((await getBlob(b.url, 'cache/local', layer)).status).toBe(404)
    expect((await getManifest(b.url, 'cache/local', byGc.digest)).code).toBe('MANIFEST_UNKNOWN')
    expect((await getManifest(a().url, 'cache/local', byGc.digest)).code).toBe('MANIFEST_UNKNOWN')
  })

  it('verifies an access token in one query on every use: owner, limits, expiry and revocation', async () => {
    const { db } = reg.stack
    const user = await db.user.create({ data: { name: `reader-${randomBytes(3).toString('hex')}`, admin: true } })
    const org = await db.organization.create({ data: { name: `org-${randomBytes(3).toString('hex')}` } })
    const limited = await createAccessToken(db, { userId: user.id, name: 't1', organizationId: org.id, access: 'pull', expiresAt: null })
    expect(await verifyAccessToken(db, limited.token)).toEqual({ id: limited.row.id, access: 'pull', organizationId: org.id, user: { id: user.id, name: user.name, admin: true, kind: 'user' } })
    // last use recorded (at most once a minute)
    expect((await db.accessToken.findUniqueOrThrow({ where: { id: limited.row.id } })).lastUsedAt).not.toBeNull()
    const open = await createAccessToken(db, { userId: user.id, name: 't2', organizationId: null, access: 'push', expiresAt: new Date(Date.now() + 3_600_000) })
    expect(await verifyAccessToken(b.services.db, open.token)).toMatchObject({ access: 'push', organizationId: null })
    // a wrong secret, an expired token, a token revoked on the other instance: refused
    expect(await verifyAccessToken(db, open.token.slice(0, -1) + (open.token.endsWith('A') ? 'B' : 'A'))).toBeNull()
    const expired = await createAccessToken(db, { userId: user.id, name: 't3', organizationId: null, access: 'pull', expiresAt: new Date(Date.now() - 1000) })
    expect(await verifyAccessToken(db, expired.token)).toBeNull()
    await revokeAccessToken(b.services.db, open.row.id)
    expect(await verifyAccessToken(db, open.token)).toBeNull()
    // and over HTTP on instance A right after: the revoked token is refused
    const res = await fetch(`${reg.url}/v2/cache/one/manifests/v1`, { headers: { ...ACCEPT, Authorization: `Bearer ${open.token}` } })
    expect(res.status).toBe(401)
  })
})
