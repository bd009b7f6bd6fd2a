// The expiry sweep of /v2 push sessions racing with the requests of those sessions (issue 12). Two actors,
// the sweep (lib/oci/upload-sweeper.ts) and a client's PATCH/PUT, interleaved deterministically by holding
// one of them at the object store (tests/helpers/fault-proxy.ts delays a request):
//  - a session the sweep listed as expired but a PATCH touched before the sweep got to it is kept;
//  - a PUT whose lease ran out while it finished loses to the sweep's claim and commits nothing (no blob
//    row whose object the sweep then deletes);
//  - a chunk write the store finishes after the sweep deleted the session's objects is still named by a
//    row, and the next expiry run deletes it: no object is left that no row names.
// Real s3rver behind the proxy, SQLite and PostgreSQL.
import { randomBytes } from 'node:crypto'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { providers, snapshot } from '../helpers/stack'
import { faultyRegistry, TEST_TUNING, type FaultyRegistry } from './faults-support'
import { request, sha256, errorOf, locationPath } from './oci-support'
import { cancelExpiredSessions } from '../../lib/oci/upload-sweeper'
import { expireStagedObjects } from '../../lib/lifecycle/expire-staged'
import { namedKeys } from '../../lib/gc/orphans'

const DAY = 24 * 3600 * 1000
const HOLD_MS = 3000

describe.each(providers)('push-session sweep racing with its requests (%s)', (provider) => {
  let reg: FaultyRegistry
  beforeAll(async () => {
    // the held requests must not time out in the S3 client meanwhile
    reg = await faultyRegistry(provider, { ...TEST_TUNING, requestTimeoutMs: 30_000 })
  }, 60_000)
  afterAll(async () => {
    await reg?.close()
  })

  /** A session of `repo` holding `first` (stored as its tail object); its upload path. */
  async function startSession(repo: string, first: Buffer): Promise<{ id: string; location: string }> {
    const start = await request(`${reg.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' })
    expect(start.status).toBe(202)
    const res = await request(reg.url + locationPath(start), { method: 'PATCH', body: first, headers: { 'Content-Range': `0-${first.length - 1}` } })
    expect(res.status).toBe(202)
    const location = locationPath(res)
    return { id: /uploads\/([0-9a-f-]{36})/.exec(location)![1], location }
  }
  const withDigest = (location: string, digest: string) => `${location}${location.includes('?') ? '&' : '?'}digest=${digest}`
  /** Resolves once the proxy holds a request the rule matched. */
  async function held(kind = 'delay') {
    for (let waited = 0; !reg.proxy.seen.some((r) => r.fault === kind); waited += 20) {
      if (waited > 20_000) throw new Error(`no request was held (${kind}); seen: ${reg.proxy.seen.map((r) => `${r.method} ${r.key}`).join(', ')}`)
      await new Promise((r) => setTimeout(r, 20))
    }
  }
  /** Objects in the bucket no row names (the orphan sweep's view). */
  async function unnamed(): Promise<string[]> {
    const objects = (await snapshot(reg.stack)).objects
    const named = await namedKeys(reg.stack.db, objects)
    return objects.filter((k) => !named.has(k))
  }

  it('keeps a session the sweep listed as expired when a PATCH touched it before the sweep got to it', async () => {
    const bodies = [randomBytes(300_000), randomBytes(300_000)]
    const sessions = [
      { ...(await startSession('sweep/race', bodies[0].subarray(0, 100_000))), body: bodies[0] },
      { ...(await startSession('sweep/race', bodies[1].subarray(0, 100_000))), body: bodies[1] },
    ].sort((x, y) => x.id.localeCompare(y.id)) // the sweep goes in id order
    const [first, live] = sessions
    // both idle for two days (the sweep's cutoff is one)
    await reg.stack.db.blobUploadSession.updateMany({ where: { id: { in: sessions.map((x) => x.id) } }, data: { updatedAt: new Date(Date.now() - 2 * DAY) } })

    // the sweep lists both, then is held deleting the first one's objects
    reg.proxy.seen.length = 0
    reg.proxy.add({ method: 'POST', key: /delete/, count: 1, action: { kind: 'delay', ms: HOLD_MS } })
    const sweeping = cancelExpiredSessions(reg.services)
    await held()
    // meanwhile the client goes on with the second session
    const rest = live.body.subarray(100_000)
    const patched = await request(reg.url + live.location, { method: 'PATCH', body: rest, headers: { 'Content-Range': `100000-${live.body.length - 1}` } })
    expect(patched.status).toBe(202)
    const swept = await sweeping
    expect(swept.sessions).toBe(1)
    expect(await reg.stack.db.blobUploadSession.count({ where: { id: first.id } })).toBe(0)

    // the touched session is intact: it finishes and pulls byte-exact
    const done = await request(reg.url + withDigest(locationPath(patched), sha256(live.body)), { method: 'PUT' })
    expect(done.status).toBe(201)
    const pulled = await fetch(`${reg.url}/v2/sweep/race/blobs/${sha256(live.body)}`)
    expect(pulled.status).toBe(200)
    expect(sha256(Buffer.from(await pulled.arrayBuffer()))).toBe(sha256(live.body))
    await reg.proxy.settled()
    reg.proxy.clear()
  })

  it("a PUT whose lease ran out while it finished loses to the sweep's claim: no blob row, nothing left", async () => {
    const blob = randomBytes(200_000)
    const s = await startSession('sweep/put', blob)
    const before = await snapshot(reg.stack)
    reg.proxy.seen.length = 0
    // the PUT is held checking its object (HEAD); the sweep's delete of the session's objects is held longer
    reg.proxy.add({ method: 'HEAD', key: /^blobs\//, count: 1, action: { kind: 'delay', ms: HOLD_MS } })
    reg.proxy.add({ method: 'POST', key: /delete/, count: 1, action: { kind: 'delay', ms: 2 * HOLD_MS } })
    const put = request(reg.url + withDigest(s.location, sha256(blob)), { method: 'PUT' })
    await held()
    // two days later, as far as the sweep knows: the PUT's write lease (10 min) has run out
    const swept = await cancelExpiredSessions(reg.services, { now: new Date(Date.now() + 2 * DAY) })
    expect(swept.sessions).toBe(1)
    const res = await put
    expect(await errorOf(res)).toMatchObject({ status: 404, code: 'BLOB_UPLOAD_UNKNOWN' })
    await reg.proxy.settled()
    reg.proxy.clear()
    expect(await reg.stack.db.blob.count({ where: { digest: sha256(blob) } })).toBe(0)
    expect((await fetch(`${reg.url}/v2/sweep/put/blobs/${sha256(blob)}`, { method: 'HEAD' })).status).toBe(404)
    expect(await unnamed()).toEqual([])
    await expireStagedObjects(reg.services, { now: new Date(Date.now() + 2 * DAY) })
    const after = await snapshot(reg.stack)
    expect(after.objects.filter((k) => !before.objects.includes(k))).toEqual([])
    expect(await reg.stack.db.stagedObject.count({ where: { ownerId: `blob-upload:${s.id}` } })).toBe(0)
  })

  it('a chunk the store writes after the sweep deleted the session is named by a row until expiry deletes it', async () => {
    const s = await startSession('sweep/late', randomBytes(50_000))
    const before = await snapshot(reg.stack)
    reg.proxy.seen.length = 0
    // the next chunk's tail object is held at the store
    reg.proxy.add({ method: 'PUT', key: /^blobs\/(?!.*partNumber=)/, count: 1, action: { kind: 'delay', ms: HOLD_MS } })
    const patch = request(reg.url + s.location, { method: 'PATCH', body: randomBytes(60_000), headers: { 'Content-Range': '50000-109999' } })
    await held()
    // the sweep takes the session meanwhile (its writer's lease has run out, as far as the sweep knows)
    const swept = await cancelExpiredSessions(reg.services, { now: new Date(Date.now() + 2 * DAY) })
    expect(swept.sessions).toBe(1)
    const res = await patch
    expect(res.status).toBe(404)
    await reg.proxy.settled() // the held write reached the store: after the sweep's delete
    reg.proxy.clear()
    const landed = (await snapshot(reg.stack)).objects.filter((k) => !before.objects.includes(k))
    expect(landed.length).toBe(1) // the late tail object
    expect(await unnamed()).toEqual([]) // a row still names it
    // the next expiry run after STOWAGE_STAGED_EXPIRY_SECONDS deletes it, and its row
    expect(await expireStagedObjects(reg.services, { now: new Date(Date.now() + 2 * DAY) })).toBeGreaterThanOrEqual(1)
    const after = await snapshot(reg.stack)
    expect(after.objects.filter((k) => !before.objects.includes(k))).toEqual([])
    expect(await reg.stack.db.stagedObject.count({ where: { ownerId: `blob-upload:${s.id}` } })).toBe(0)
  })
})
