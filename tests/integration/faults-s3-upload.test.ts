// Console archive uploads while the object store misbehaves (through tests/helpers/fault-proxy.ts): a reset
// of one part upload is retried by the S3 client and the upload succeeds; resets, 503s and a store too slow
// to answer that outlast the retries fail the upload with a clear 503 that names the store, not the
// client; a vanished bucket does the same and /readyz says so until it is back (no restart). After every
// failure nothing is visible, and once expiry has run no object or multipart part is left.
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { providers, snapshot } from '../helpers/stack'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { faultyRegistry, afterExpiry, consoleUpload, type FaultyRegistry, faultsNeedEmbeddedS3 } from './faults-support'

const MiB = 1024 * 1024

describe.skipIf(faultsNeedEmbeddedS3()).each(providers)('console uploads under object store faults (%s)', (provider) => {
  // The retry and timeout behaviour is the S3 client's, the same on both databases: checked once (time
  // budget); what a failure leaves behind is database state, checked on both.
  const onceOnly = provider === 'sqlite' ? it : it.skip
  let reg: FaultyRegistry
  let big: { archive: Buffer; diffIds: string[]; layer: Buffer }
  beforeAll(async () => {
    reg = await faultyRegistry(provider)
    // one layer of 9 MiB: written as a multipart upload of two parts
    const layer = await makeLayer(9 * MiB)
    big = { ...(await makeDockerArchive({ repoTags: ['faults/big:1'], layers: [layer] })), layer }
  }, 60_000)
  afterAll(async () => {
    await reg?.close()
  })

  /** The upload failed with a 503 that blames the store, and no trace of it stays once expiry has run. */
  async function expectCleanStoreFailure(res: { status: number; body: any }, before: Awaited<ReturnType<typeof snapshot>>, message: RegExp) {
    expect(res.status, JSON.stringify(res.body)).toBe(503)
    expect(res.body.error.code).toBe('STORAGE_UNAVAILABLE')
    expect(res.body.error.message).toMatch(message)
    expect(res.body.error.message).not.toMatch(/127\.0\.0\.1|:\d{4,5}|ECONN/)
    const visible = await snapshot(reg.stack)
    expect(visible.repositories).toEqual(before.repositories)
    expect(visible.tags).toEqual(before.tags)
    expect(visible.manifests).toBe(before.manifests)
    const after = await afterExpiry(reg, before.objects)
    // Expiry deletes the keys of a failed upload once more (a write the store finished after the upload gave
    // up on it); a write that lands even later is left to GC's orphan sweep, which the lines below prove.
    // (Asserting `unnamedAfterExpiry` empty failed ~1 run in 3: s3rver may finish an aborted write after that.)
    expect(after.objects).toEqual(before.objects)
    expect(after.unnamed).toEqual([])
    expect(after.blobs).toEqual(before.blobs)
    expect(after.staged).toBe(0)
    expect(after.multipartParts).toBe(0)
  }

  onceOnly('a part upload reset once is retried and the upload succeeds', async () => {
    reg.proxy.add({ method: 'PUT', key: /partNumber=2/, count: 1, action: { kind: 'reset' } })
    const res = await consoleUpload(reg.url, big.archive)
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    expect(reg.proxy.hits('reset')).toBe(1)
    const blob = await fetch(`${reg.url}/v2/faults/big/blobs/${big.diffIds[0]}`)
    expect(blob.status).toBe(200)
    expect(Buffer.from(await blob.arrayBuffer()).equals(big.layer)).toBe(true)
    reg.proxy.clear()
  })

  it('resets of every part upload: 503 STORAGE_UNAVAILABLE, nothing visible, nothing left after expiry', async () => {
    const before = await snapshot(reg.stack)
    const { archive } = await makeDockerArchive({ repoTags: ['faults/reset:1'], layers: [await makeLayer(10 * MiB)] })
    reg.proxy.add({ method: 'PUT', key: /partNumber=/, action: { kind: 'reset' } })
    await expectCleanStoreFailure(await consoleUpload(reg.url, archive), before, /object store is not reachable/)
  })

  it('503 answers to every write: 503 that says the store failed, nothing left', async () => {
    const before = await snapshot(reg.stack)
    const { archive } = await makeDockerArchive({ repoTags: ['faults/unavailable:1'], layers: [await makeLayer(100_000)] })
    reg.proxy.add({ method: 'PUT', action: { kind: 'status', status: 503 } })
    await expectCleanStoreFailure(await consoleUpload(reg.url, archive), before, /object store failed \(it answered 503/)
  })

  onceOnly('a store slower than the request timeout: retried once and succeeds; always slow: a clear 503', async () => {
    const once = await makeDockerArchive({ repoTags: ['faults/slow:1'], layers: [await makeLayer(100_000)] })
    reg.proxy.add({ method: 'PUT', count: 1, action: { kind: 'delay', ms: 2500 } })
    const ok = await consoleUpload(reg.url, once.archive)
    expect(ok.status, JSON.stringify(ok.body)).toBe(201)
    expect(reg.proxy.hits('delay')).toBe(1)
    reg.proxy.clear()

    const before = await snapshot(reg.stack)
    const { archive } = await makeDockerArchive({ repoTags: ['faults/slower:1'], layers: [await makeLayer(100_000)] })
    reg.proxy.add({ method: 'PUT', action: { kind: 'delay', ms: 2500 } })
    await expectCleanStoreFailure(await consoleUpload(reg.url, archive), before, /object store is not reachable/)
  })

  it('the bucket disappears: uploads get 503 and /readyz says why; it comes back: both recover without a restart', async () => {
    const before = await snapshot(reg.stack)
    const { archive } = await makeDockerArchive({ repoTags: ['faults/nobucket:1'], layers: [await makeLayer(100_000)] })
    reg.proxy.bucketGone = true
    const ready = await fetch(`${reg.url}/readyz`)
    expect(ready.status).toBe(503)
    expect(JSON.stringify(await ready.json())).toMatch(/bucket does not exist/)
    const res = await consoleUpload(reg.url, archive)
    expect(res.status, JSON.stringify(res.body)).toBe(503)
    expect(res.body.error.code).toBe('STORAGE_UNAVAILABLE')
    expect(res.body.error.message).toMatch(/no bucket "layers"/)
    await expectCleanStoreFailure(res, before, /no bucket/)

    reg.proxy.bucketGone = false
    expect((await fetch(`${reg.url}/readyz`)).status).toBe(200)
    const again = await consoleUpload(reg.url, archive)
    expect(again.status, JSON.stringify(again.body)).toBe(201)
  })
})
