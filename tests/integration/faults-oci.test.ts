// The registry API (/v2/) while the object store misbehaves (tests/helpers/fault-proxy.ts): a chunked push
// whose part uploads are reset or answered 503 gets a clear OCI error (503 UNAVAILABLE), the session keeps
// what it had stored and the client resumes it once the store is back; pulls whose download is cut
// mid-body end with an error, not a hang, while other pulls are served; a vanished bucket is a 503 too.
// What a failed push left is gone after expiry.
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { randomBytes } from 'node:crypto'
import { providers, snapshot } from '../helpers/stack'
import { faultyRegistry, afterExpiry, type FaultyRegistry, faultsNeedEmbeddedS3 } from './faults-support'
import { request, sha256, errorOf, locationPath, oneLayerImage, OCI_MANIFEST } from './oci-support'

const MiB = 1024 * 1024

describe.skipIf(faultsNeedEmbeddedS3()).each(providers)('registry API under object store faults (%s)', (provider) => {
  // a push session's progress is database state: both databases; the rest is the S3 client's and the
  // HTTP layer's behaviour, the same on both: once (time budget)
  const onceOnly = provider === 'sqlite' ? it : it.skip
  let reg: FaultyRegistry
  beforeAll(async () => {
    reg = await faultyRegistry(provider)
  }, 60_000)
  afterAll(async () => {
    await reg?.close()
  })

  const rangeEnd = (res: Response) => Number(/^0-(\d+)$/.exec(res.headers.get('range') ?? '')?.[1] ?? -1)

  async function pushImage(repo: string, tag: string, layer: Buffer) {
    const { config, manifest } = oneLayerImage(layer)
    for (const blob of [layer, config]) {
      const res = await request(`${reg.url}/v2/${repo}/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', body: blob })
      expect(res.status).toBe(201)
    }
    const res = await request(`${reg.url}/v2/${repo}/manifests/${tag}`, { method: 'PUT', body: manifest, headers: { 'Content-Type': OCI_MANIFEST } })
    expect(res.status).toBe(201)
  }

  it('chunked push: reset part uploads → 503 UNAVAILABLE; once the store is back the client resumes the session', async () => {
    const before = await snapshot(reg.stack)
    const blob = randomBytes(17 * MiB)
    const start = await request(`${reg.url}/v2/faults/chunked/blobs/uploads/`, { method: 'POST' })
    expect(start.status).toBe(202)
    let location = locationPath(start)
    const first = await request(reg.url + location, { method: 'PATCH', body: blob.subarray(0, 9 * MiB), headers: { 'Content-Range': `0-${9 * MiB - 1}` } })
    expect(first.status).toBe(202)
    location = locationPath(first)

    // every part upload of the next chunk is reset: the SDK's retry does not get past it
    reg.proxy.add({ method: 'PUT', key: /partNumber=/, action: { kind: 'reset' } })
    const failed = await request(reg.url + location, { method: 'PATCH', body: blob.subarray(9 * MiB), headers: { 'Content-Range': `${9 * MiB}-${blob.length - 1}` } })
    const err = await errorOf(failed)
    expect(err.status).toBe(503)
    expect(err.code).toBe('UNAVAILABLE')
    expect(err.message).toMatch(/object store is not reachable/)
    expect(failed.headers.get('retry-after')).toBeTruthy()
    expect((await snapshot(reg.stack)).tags).toEqual(before.tags)

    // the store is back: the client asks where the session stands and sends the rest from there
    await reg.proxy.settled()
    reg.proxy.clear()
    const status = await request(reg.url + location)
    expect(status.status).toBe(204)
    const stored = rangeEnd(status) + 1
    expect(stored).toBeGreaterThanOrEqual(9 * MiB)
    expect(stored).toBeLessThan(blob.length)
    const rest = await request(reg.url + locationPath(status), { method: 'PATCH', body: blob.subarray(stored), headers: { 'Content-Range': `${stored}-${blob.length - 1}` } })
    expect(rest.status).toBe(202)
    const done = await request(`${reg.url}${locationPath(rest)}${locationPath(rest).includes('?') ? '&' : '?'}digest=${sha256(blob)}`, { method: 'PUT' })
    expect(done.status).toBe(201)
    const pulled = await fetch(`${reg.url}/v2/faults/chunked/blobs/${sha256(blob)}`)
    expect(sha256(Buffer.from(await pulled.arrayBuffer()))).toBe(sha256(blob))
  })

  onceOnly('monolithic push answered 503 by the store: 503 UNAVAILABLE naming the store failure; nothing left after expiry', async () => {
    const before = await snapshot(reg.stack)
    const blob = randomBytes(200_000)
    reg.proxy.add({ method: 'PUT', action: { kind: 'status', status: 503 } })
    const res = await request(`${reg.url}/v2/faults/mono/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', body: blob })
    const err = await errorOf(res)
    expect(err.status).toBe(503)
    expect(err.code).toBe('UNAVAILABLE')
    expect(err.message).toMatch(/object store failed \(it answered 503/)
    expect((await fetch(`${reg.url}/v2/faults/mono/blobs/${sha256(blob)}`, { method: 'HEAD' })).status).toBe(404)
    const after = await afterExpiry(reg, before.objects)
    // GC (grace 0) may also take blobs earlier tests pushed without a manifest; nothing new may stay
    expect(after.objects.filter((k) => !before.objects.includes(k))).toEqual([])
    expect(after.unnamed).toEqual([])
    expect(after.staged).toBe(0)
    expect(after.multipartParts).toBe(0)
    // the client's retry, the store being fine again
    const again = await request(`${reg.url}/v2/faults/mono/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', body: blob })
    expect(again.status).toBe(201)
  })

  onceOnly('pulls: a download cut mid-body ends in an error, not a hang; other pulls are served meanwhile; a reset before the answer is retried', async () => {
    const a = randomBytes(3 * MiB)
    const b = randomBytes(300_000)
    await pushImage('faults/pull-a', '1', a)
    await pushImage('faults/pull-b', '1', b)
    const keyOf = async (digest: string) => (await reg.stack.db.blob.findUniqueOrThrow({ where: { digest } })).objectKey

    // every GET of a's object is cut after 1 MiB
    reg.proxy.add({ method: 'GET', key: new RegExp(`^${await keyOf(sha256(a))}\\b`), action: { kind: 'reset-mid-body', afterBytes: MiB } })
    const cut = await fetch(`${reg.url}/v2/faults/pull-a/blobs/${sha256(a)}`, { signal: AbortSignal.timeout(15_000) })
    expect(cut.status).toBe(200)
    const outcome = await cut.arrayBuffer().then(
      (buf) => `complete ${buf.byteLength}`,
      (e: Error) => (e.name === 'TimeoutError' ? 'hang' : 'error'),
    )
    expect(outcome).toBe('error')
    const other = await fetch(`${reg.url}/v2/faults/pull-b/blobs/${sha256(b)}`)
    expect(Buffer.from(await other.arrayBuffer()).equals(b)).toBe(true)
    reg.proxy.clear()

    // a reset before the store answers: the SDK tries again and the client sees nothing of it
    reg.proxy.add({ method: 'GET', key: /^blobs\//, count: 1, action: { kind: 'reset' } })
    const retried = await fetch(`${reg.url}/v2/faults/pull-a/blobs/${sha256(a)}`)
    expect(retried.status).toBe(200)
    expect(Buffer.from(await retried.arrayBuffer()).equals(a)).toBe(true)
    expect(reg.proxy.hits('reset')).toBeGreaterThanOrEqual(1)
    reg.proxy.clear()

    // the bucket gone: a clear 503, and the pull works again once it is back (a: over the size of blobs
    // kept in memory, lib/oci/read-queries.ts, so every pull of it reads the bucket; b was served from there)
    reg.proxy.bucketGone = true
    const gone = await errorOf(await fetch(`${reg.url}/v2/faults/pull-a/blobs/${sha256(a)}`))
    expect(gone.status).toBe(503)
    expect(gone.code).toBe('UNAVAILABLE')
    expect(gone.message).toMatch(/no bucket "layers"/)
    expect(Buffer.from(await (await fetch(`${reg.url}/v2/faults/pull-b/blobs/${sha256(b)}`)).arrayBuffer()).equals(b)).toBe(true)
    reg.proxy.bucketGone = false
    const back = await fetch(`${reg.url}/v2/faults/pull-a/blobs/${sha256(a)}`)
    expect(Buffer.from(await back.arrayBuffer()).equals(a)).toBe(true)
  })
})
