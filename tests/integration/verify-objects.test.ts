// A commit never records a blob whose object is not in the bucket (lib/registry/verify-objects.ts): an
// object deleted after it was written and before the commit (another instance's sweep, a store that lost
// it) fails the archive import (STORAGE_FAILED) or the push (BLOB_UPLOAD_INVALID) with a message naming
// the blob, nothing is recorded, and the same content uploaded again afterwards is stored and pulls.
// Real S3 (s3rver, or Ceph with `npm run test:ceph`), SQLite and PostgreSQL.
import { Readable } from 'node:stream'
import { randomBytes } from 'node:crypto'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startRegistry, type Registry } from '../helpers/http-stack'
import { providers, snapshot } from '../helpers/stack'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { request, sha256 } from './oci-support'
import { importArchive } from '../../lib/archive/import-archive'
import type { BlobStore } from '../../lib/storage/blob-store'
import type { Services } from '../../lib/services'
import { sweepUploadSessions } from '../../lib/oci/upload-sweeper'

/**
 * The stack's real store, except that while `armed`, an object written with exactly `size` bytes is
 * deleted right after its write succeeded: the bytes were stored, then vanished before the commit.
 */
function vanishingStore(store: BlobStore) {
  const control = { size: -1, armed: false, vanished: [] as string[], afterStat: null as null | ((key: string) => Promise<void>) }
  const s = Object.create(store) as BlobStore
  // and `afterStat` runs right after a HEAD (the commit check's), before the caller sees its answer
  s.stat = async (key) => {
    const size = await store.stat(key)
    const hook = control.afterStat
    control.afterStat = null
    await hook?.(key)
    return size
  }
  s.write = async (key, body, opts) => {
    await store.write(key, body, opts)
    if (control.armed && (await store.stat(key)) === control.size) {
      await store.delete([key])
      control.vanished.push(key)
    }
  }
  return { store: s, control }
}

describe.each(providers)('a commit checks that its objects are stored (%s)', (provider) => {
  let reg: Registry
  let control: ReturnType<typeof vanishingStore>['control']
  let services: Services // the server's: the stack with the vanishing store
  beforeAll(async () => {
    reg = await startRegistry(provider, (stack) => {
      const v = vanishingStore(stack.store)
      control = v.control
      services = { ...stack, store: v.store }
      return services
    })
  }, 120_000)
  afterAll(async () => {
    await reg?.close()
  })

  it('an archive import whose layer vanished before the commit fails with STORAGE_FAILED and records nothing; importing it again works', async () => {
    const layer = await makeLayer(3 * 1024 * 1024 + 7)
    const { archive, diffIds } = await makeDockerArchive({ repoTags: ['vanish/app:1'], layers: [layer] })
    Object.assign(control, { size: layer.length, armed: true, vanished: [] })
    const before = await snapshot(reg.stack)

    const failed = importArchive(services, { body: Readable.from([archive]), filename: 'vanish.tar' })
    await expect(failed).rejects.toMatchObject({ code: 'STORAGE_FAILED', status: 500 })
    const message = await failed.catch((e: Error) => e.message)
    expect(message).toContain(`${diffIds[0]} is missing from the object store (${layer.length} bytes were written)`)
    expect(message).toMatch(/nothing was stored, upload the archive again/)
    expect(control.vanished).toHaveLength(1)
    expect(await snapshot(reg.stack)).toEqual(before) // no blob row, repository, tag or staged object
    const upload = await reg.stack.db.upload.findFirstOrThrow({ orderBy: { createdAt: 'desc' } })
    expect(upload).toMatchObject({ state: 'failed', errorCode: 'STORAGE_FAILED' })

    control.armed = false
    const ok = await importArchive(services, { body: Readable.from([archive]), filename: 'vanish.tar' })
    expect(ok.tags[0]).toMatchObject({ repository: 'vanish/app', tag: '1', status: 'created' })
    const pulled = await fetch(`${reg.url}/v2/vanish/app/blobs/${diffIds[0]}`)
    expect(pulled.status).toBe(200)
    expect(Buffer.from(await pulled.arrayBuffer()).equals(layer)).toBe(true)
  }, 120_000)

  it('a pushed blob whose object vanished before the commit answers 500 BLOB_UPLOAD_INVALID and records nothing; pushing it again works', async () => {
    const blob = randomBytes(1024 * 1024 + 13)
    Object.assign(control, { size: blob.length, armed: true, vanished: [] })
    const before = await snapshot(reg.stack)

    const push = () => request(`${reg.url}/v2/vanish/push/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', body: blob })
    const failed = await push()
    expect(failed.status).toBe(500)
    const body = await failed.json()
    expect(body.errors[0].code).toBe('BLOB_UPLOAD_INVALID')
    expect(body.errors[0].message).toContain(`${sha256(blob)} is missing from the object store (${blob.length} bytes were written)`)
    expect(control.vanished).toHaveLength(1)
    expect((await request(`${reg.url}/v2/vanish/push/blobs/${sha256(blob)}`, { method: 'HEAD' })).status).toBe(404)
    expect(await snapshot(reg.stack)).toEqual(before)
    expect(await reg.stack.db.blobUploadSession.count()).toBe(0)

    control.armed = false
    expect((await push()).status).toBe(201)
    const pulled = await fetch(`${reg.url}/v2/vanish/push/blobs/${sha256(blob)}`)
    expect(pulled.status).toBe(200)
    expect(Buffer.from(await pulled.arrayBuffer()).equals(blob)).toBe(true)
  }, 120_000)

  // Another instance's sweep of idle upload sessions, run while this one finishes a push.
  const sweepDuring = async (repository: string, leaseRanOut: boolean) => {
    const session = await reg.stack.db.blobUploadSession.findFirstOrThrow({ where: { repository } })
    if (leaseRanOut) {
      await reg.stack.db.blobUploadSession.update({ where: { id: session.id }, data: { lockedUntil: new Date(Date.now() - 1000), updatedAt: new Date(Date.now() - 3600_000) } })
    }
    return sweepUploadSessions({ ...reg.stack, lifecycle: { uploadSessionExpirySeconds: 60 } })
  }

  it('a sweep by another instance leaves a push that is being finished alone', async () => {
    const blob = randomBytes(64 * 1024 + 5)
    let swept = -1
    control.afterStat = async () => void (swept = await sweepDuring('race/leased', false))
    const res = await request(`${reg.url}/v2/race/leased/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', body: blob })
    expect(res.status).toBe(201)
    expect(swept).toBe(0) // the finishing request holds the session's lease
    const pulled = await fetch(`${reg.url}/v2/race/leased/blobs/${sha256(blob)}`)
    expect(Buffer.from(await pulled.arrayBuffer()).equals(blob)).toBe(true)
  }, 60_000)
})
