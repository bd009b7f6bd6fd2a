// The sweep of leftovers (lib/boot.ts sweepLeftovers → runExpiry) must take only what nothing can finish,
// at any time: it keeps the multipart upload of a registry push session and of an archive import that is
// still arriving (its lease is live), and both then complete; it aborts a multipart upload whose owner is
// over, one nobody recorded once it is older than the expiry, and deletes the staged objects of failed
// uploads. At start it is no different (another instance may be writing): it used to abort every
// multipart upload that was not a push session's; now an upload is taken only when its lease ran out.
import { PassThrough } from 'node:stream'
import { randomBytes } from 'node:crypto'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { providers } from '../helpers/stack'
import { makeDockerArchive, packToBuffer } from '../helpers/make-archive'
import { startRegistry, sha256, request, locationPath, type Registry } from './oci-support'
import { importArchive } from '../../lib/archive/import-archive'
import { sweepLeftovers } from '../../lib/boot'
import { registerStaged } from '../../lib/registry/staging'
import { recordMultipart } from '../../lib/lifecycle/multipart-records'
import { waitFor } from './store-outage-support'

const MiB = 1024 * 1024

describe.each(providers)('sweeping leftovers (%s)', (provider) => {
  let reg: Registry
  const logs: string[] = []
  const log = (m: string) => void logs.push(m)
  const multipart = async () => {
    const all: { key: string; uploadId: string }[] = []
    for await (const u of reg.stack.store.listMultipartUploads('blobs/')) all.push(u)
    return all
  }

  beforeAll(async () => {
    reg = await startRegistry(provider)
  }, 120_000)
  afterAll(async () => {
    await reg?.close()
  })

  it('while running: keeps the writes in progress, takes what nobody can finish', async () => {
    // a registry push session with one part stored
    const blob = randomBytes(12 * MiB)
    const start = await request(`${reg.url}/v2/sweep/app/blobs/uploads/`, { method: 'POST' })
    const location = locationPath(start)
    const patched = await request(reg.url + location, { method: 'PATCH', body: blob.subarray(0, 9 * MiB), headers: { 'Content-Range': `0-${9 * MiB - 1}` } })
    expect(patched.status).toBe(202)

    // an archive import in the middle of a 20 MiB layer
    const layer = await packToBuffer([{ name: 'big.bin', data: randomBytes(20 * MiB) }])
    const { archive } = await makeDockerArchive({ repoTags: ['sweep/imported:1.0'], layers: [layer] })
    const body = new PassThrough()
    const importing = importArchive(reg.stack, { body, filename: 'big.tar', repository: null, tag: null })
    body.write(archive.subarray(0, 12 * MiB))
    await waitFor('both multipart uploads', async () => (await multipart()).length === 2, 60_000)

    // a multipart upload whose owner is over (a write whose abort failed while the store was down), one
    // nobody recorded (a crash between starting it and recording it), and the staged object of a failed
    // upload whose deletion failed the same way
    await reg.stack.db.upload.create({ data: { id: 'failed-upload', state: 'failed', errorCode: 'STORAGE_UNAVAILABLE' } })
    const orphanKey = await registerStaged(reg.stack, 'failed-upload')
    const orphanId = await reg.stack.store.startMultipart(orphanKey)
    await recordMultipart(reg.stack.db, orphanId, orphanKey, 'failed-upload')
    await reg.stack.store.writePart(orphanKey, orphanId, 1, randomBytes(1000))
    const unrecordedKey = 'blobs/unrecorded-' + randomBytes(4).toString('hex')
    const unrecordedId = await reg.stack.store.startMultipart(unrecordedKey)
    await reg.stack.store.writePart(unrecordedKey, unrecordedId, 1, randomBytes(1000))
    const stagedKey = await registerStaged(reg.stack, 'failed-upload')
    await reg.stack.store.write(stagedKey, Buffer.from('left behind'))

    await sweepLeftovers(reg.stack, log)
    let left = (await multipart()).map((u) => u.uploadId)
    expect(left).not.toContain(orphanId)
    expect(left).toContain(unrecordedId) // younger than STOWAGE_MULTIPART_EXPIRY_SECONDS: maybe a write just starting
    expect(left).toHaveLength(3)
    expect(await reg.stack.store.stat(stagedKey)).toBeNull()
    expect(await reg.stack.db.stagedObject.count({ where: { ownerId: 'failed-upload' } })).toBe(0)
    expect(await reg.stack.db.multipartUpload.count({ where: { ownerId: 'failed-upload' } })).toBe(0)
    expect(logs).toContain('expiry collected 2 staged objects, 1 unfinished multipart uploads')

    // with no expiry age, the unrecorded one goes too; the recorded ones of live owners stay
    reg.stack.lifecycle = { multipartExpirySeconds: 0 }
    try {
      await sweepLeftovers(reg.stack, log)
    } finally {
      reg.stack.lifecycle = undefined
    }
    left = (await multipart()).map((u) => u.uploadId)
    expect(left).not.toContain(unrecordedId)
    expect(left).toHaveLength(2)

    // both writes in progress still complete
    body.end(archive.subarray(12 * MiB))
    const result = await importing
    expect(result.tags.map((t) => `${t.repository}:${t.tag}`)).toEqual(['sweep/imported:1.0'])
    const rest = await request(reg.url + location, { method: 'PATCH', body: blob.subarray(9 * MiB), headers: { 'Content-Range': `${9 * MiB}-${blob.length - 1}` } })
    expect(rest.status).toBe(202)
    const done = await request(`${reg.url}${locationPath(rest)}${locationPath(rest).includes('?') ? '&' : '?'}digest=${sha256(blob)}`, { method: 'PUT' })
    expect(done.status).toBe(201)
    const pulled = await request(`${reg.url}/v2/sweep/app/blobs/${sha256(blob)}`)
    expect(Buffer.from(await pulled.arrayBuffer()).equals(blob)).toBe(true)
  }, 180_000)

  it('at start: keeps push sessions and live uploads, takes the uploads whose lease ran out', async () => {
    const start = await request(`${reg.url}/v2/sweep/other/blobs/uploads/`, { method: 'POST' })
    const location = locationPath(start)
    expect((await request(reg.url + location, { method: 'PATCH', body: randomBytes(9 * MiB), headers: { 'Content-Range': `0-${9 * MiB - 1}` } })).status).toBe(202)
    // an upload another instance is receiving (its lease is live) and one whose instance crashed (no lease)
    const live = await stagedMultipart('live-upload', new Date(Date.now() + 60_000))
    const crashed = await stagedMultipart('crashed-upload', null)
    expect(await multipart()).toHaveLength(3)

    await sweepLeftovers(reg.stack, log)
    const left = (await multipart()).map((u) => u.uploadId)
    const session = await reg.stack.db.blobUploadSession.findFirst({ where: { repository: 'sweep/other' } })
    expect(left.sort()).toEqual([session!.multipartId, live.uploadId].sort())
    expect(await reg.stack.db.upload.findUnique({ where: { id: 'crashed-upload' } })).toMatchObject({ state: 'failed', errorCode: 'INTERRUPTED' })
    expect(await reg.stack.db.upload.findUnique({ where: { id: 'live-upload' } })).toMatchObject({ state: 'receiving' })
    expect(await reg.stack.db.stagedObject.count({ where: { ownerId: 'crashed-upload' } })).toBe(0)
    expect(await reg.stack.db.stagedObject.count({ where: { ownerId: 'live-upload' } })).toBe(1)
  }, 120_000)

  /** An archive upload in the middle of a layer: its staged key, its recorded multipart upload with one part. */
  async function stagedMultipart(uploadId: string, leaseUntil: Date | null) {
    await reg.stack.db.upload.create({ data: { id: uploadId, state: 'receiving', leaseUntil } })
    const key = await registerStaged(reg.stack, uploadId)
    const id = await reg.stack.store.startMultipart(key)
    await recordMultipart(reg.stack.db, id, key, uploadId)
    await reg.stack.store.writePart(key, id, 1, randomBytes(1000))
    return { key, uploadId: id }
  }
})
