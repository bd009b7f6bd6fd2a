// The sweep of leftovers (lib/boot.ts sweepLeftovers) while the server runs must take only what nothing
// can finish: it keeps the multipart upload of a registry push session and of an archive import that
// is still arriving, and both then complete; it aborts a multipart upload nobody owns and deletes the
// staged objects of failed uploads. At start, only push sessions' multipart uploads are kept.
import { PassThrough } from 'node:stream'
import { randomBytes } from 'node:crypto'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { providers } from '../helpers/stack'
import { makeDockerArchive, packToBuffer } from '../helpers/make-archive'
import { startRegistry, sha256, request, locationPath, type Registry } from './oci-support'
import { importArchive } from '../../lib/archive/import-archive'
import { sweepLeftovers } from '../../lib/boot'
import { registerStaged } from '../../lib/registry/staging'
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

    // a multipart upload nobody owns (a write whose abort failed while the store was down), and the
    // staged object of a failed upload whose deletion failed the same way
    const orphanKey = 'blobs/orphan-' + randomBytes(4).toString('hex')
    const orphanId = await reg.stack.store.startMultipart(orphanKey)
    await reg.stack.store.writePart(orphanKey, orphanId, 1, randomBytes(1000))
    await reg.stack.db.upload.create({ data: { id: 'failed-upload', state: 'failed', errorCode: 'STORAGE_UNAVAILABLE' } })
    const stagedKey = await registerStaged(reg.stack, 'failed-upload')
    await reg.stack.store.write(stagedKey, Buffer.from('left behind'))

    await sweepLeftovers(reg.stack, false, log)
    expect((await multipart()).map((u) => u.uploadId)).not.toContain(orphanId)
    expect(await multipart()).toHaveLength(2)
    expect(await reg.stack.store.stat(stagedKey)).toBeNull()
    expect(await reg.stack.db.stagedObject.count({ where: { ownerId: 'failed-upload' } })).toBe(0)
    expect(logs).toContain('collected 1 staged objects of failed uploads')
    expect(logs).toContain('aborted 1 unfinished multipart uploads (parts of interrupted writes)')

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

  it('at start: keeps push sessions, aborts every other multipart upload', async () => {
    const start = await request(`${reg.url}/v2/sweep/other/blobs/uploads/`, { method: 'POST' })
    const location = locationPath(start)
    expect((await request(reg.url + location, { method: 'PATCH', body: randomBytes(9 * MiB), headers: { 'Content-Range': `0-${9 * MiB - 1}` } })).status).toBe(202)
    const crashedKey = await registerStaged(reg.stack, 'crashed-upload')
    const crashedId = await reg.stack.store.startMultipart(crashedKey)
    await reg.stack.store.writePart(crashedKey, crashedId, 1, randomBytes(1000))
    expect(await multipart()).toHaveLength(2)

    await sweepLeftovers(reg.stack, true, log)
    const left = await multipart()
    expect(left).toHaveLength(1)
    expect(left[0].uploadId).not.toBe(crashedId)
    const session = await reg.stack.db.blobUploadSession.findFirst({ where: { repository: 'sweep/other' } })
    expect(left[0].uploadId).toBe(session!.multipartId)
  }, 120_000)
})
