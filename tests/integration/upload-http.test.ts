// The console upload API over real HTTP: results and errors as JSON, a connection killed mid-upload
// leaves nothing, concurrent uploads stay consistent, a crash is cleaned up at the next start.
import http from 'node:http'
import fs from 'node:fs'
import { describe, it, expect } from 'vitest'
import { registryForTests, waitFor } from '../helpers/http-stack'
import { snapshot, providers } from '../helpers/stack'
import { fixtures } from '../helpers/fixtures'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { collectInterruptedUploads, registerStaged } from '../../lib/registry/staging'

describe.each(providers)('upload API over HTTP (%s)', (provider) => {
  const reg = registryForTests(provider)

  const post = (body: Buffer | fs.ReadStream, query = '') =>
    fetch(`${reg.url}/api/uploads${query}`, { method: 'POST', body: body as any, duplex: 'half' } as RequestInit)

  it('imports an archive sent as the raw request body and lists it', async () => {
    const res = await post(fs.readFileSync(fixtures.path(fixtures.files.busybox)), '?filename=01.tar')
    expect(res.status).toBe(201)
    const body = await res.json()
    expect(body.tags[0]).toMatchObject({ repository: 'example.test/busybox', tag: '1.0', status: 'created' })
    const list = await (await fetch(`${reg.url}/api/repositories?q=busy`)).json()
    expect(list).toMatchObject({ total: 1, repositories: [{ name: 'example.test/busybox', tagCount: 1 }] })
    const tags = await (await fetch(`${reg.url}/api/repositories/example.test/busybox/tags`)).json()
    expect(tags.tags.map((t: any) => t.name)).toEqual(['1.0'])
    const detail = await (await fetch(`${reg.url}/api/repositories/example.test/busybox/tags/1.0`)).json()
    expect(detail.sizes).toMatchObject({ packed: fixtures.size(fixtures.files.busybox), uncompressed: fixtures.facts.busybox.uncompressedSize })
  })

  it('answers a bad archive with a JSON error naming the problem', async () => {
    const res = await post(fs.readFileSync(fixtures.path(fixtures.files.zip)))
    expect(res.status).toBe(415)
    expect(await res.json()).toEqual({ error: { code: 'NOT_A_TAR', message: expect.stringContaining('zip') } })
    const named = await post(fs.readFileSync(fixtures.path(fixtures.files.untagged)))
    expect(named.status).toBe(400)
    expect((await named.json()).error.code).toBe('NAME_REQUIRED')
  })

  it('deletes a tag; the repository leaves the list with its last manifest', async () => {
    await post(fs.readFileSync(fixtures.path(fixtures.files.basic)), '?repository=to/delete&tag=v1')
    const del = await fetch(`${reg.url}/api/repositories/to/delete/tags/v1`, { method: 'DELETE' })
    expect(del.status).toBe(204)
    expect((await fetch(`${reg.url}/api/repositories/to/delete/tags/v1`)).status).toBe(404)
    const again = await fetch(`${reg.url}/api/repositories/to/delete/tags/v1`, { method: 'DELETE' })
    expect(again.status).toBe(404)
    expect((await again.json()).error.code).toBe('TAG_NOT_FOUND')
    // untagged, the image is still there (pullable by digest): listed with no tags
    const listed = await (await fetch(`${reg.url}/api/repositories?q=to/delete`)).json()
    expect(listed.repositories).toMatchObject([{ name: 'to/delete', tagCount: 0 }])
    const digest = (await reg.stack.db.manifest.findFirstOrThrow({ where: { repository: { name: 'to/delete' } } })).digest
    expect((await fetch(`${reg.url}/api/repositories/to/delete/manifests/${digest}`, { method: 'DELETE' })).status).toBe(200)
    const list = await (await fetch(`${reg.url}/api/repositories?q=to/delete`)).json()
    expect(list.total).toBe(0)
  })

  it('leaves nothing behind when the client disconnects in the middle of a layer', async () => {
    const layer = await makeLayer(24 * 1024 * 1024) // multipart-sized: several parts in flight
    const { archive } = await makeDockerArchive({ repoTags: ['aborted/image:1'], layers: [layer] })
    const before = await snapshot(reg.stack)
    const req = http.request(`${reg.url}/api/uploads`, { method: 'POST', headers: { 'Content-Length': String(archive.length) } })
    req.on('error', () => {})
    req.write(archive.subarray(0, 12 * 1024 * 1024))
    // wait until the server is storing the layer, then cut the connection
    const upload = await waitFor(() => reg.stack.db.upload.findFirst({ where: { state: 'receiving' } }), 'the upload to start')
    await waitFor(() => reg.stack.db.stagedObject.count({ where: { ownerId: upload.id } }), 'a staged object')
    req.destroy()
    const failed = await waitFor(() => reg.stack.db.upload.findFirst({ where: { id: upload.id, state: 'failed' } }), 'the upload to fail')
    expect(failed.errorCode).toBe('CLIENT_ABORTED')
    expect(await snapshot(reg.stack)).toEqual(before)
    expect((await fetch(`${reg.url}/api/repositories?q=aborted`).then((r) => r.json())).total).toBe(0)
  })

  it('keeps concurrent uploads of the same tag and shared layers consistent', async () => {
    const shared = await makeLayer(3 * 1024 * 1024)
    const archives = await Promise.all(
      [0, 1, 2, 3].map(async () => (await makeDockerArchive({ repoTags: ['race/app:latest'], layers: [shared, await makeLayer(512 * 1024)] })).archive),
    )
    const results = await Promise.all(archives.map((a) => post(a).then(async (r) => ({ status: r.status, body: await r.json() }))))
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201])
    const digests = results.map((r) => r.body.tags[0].digest)
    const detail = await (await fetch(`${reg.url}/api/repositories/race/app/tags/latest`)).json()
    expect(digests).toContain(detail.digest) // the tag points at one of them, whole
    expect(detail.layers).toHaveLength(2)
    const events = await reg.stack.db.tagEvent.count({ where: { tag: 'latest', repository: { name: 'race/app' } } })
    expect(events).toBe(4)
    // the shared layer is stored once; every blob row points at an existing object; nothing staged
    const sharedDigest = detail.layers[0].digest
    expect(await reg.stack.db.blob.count({ where: { digest: sharedDigest } })).toBe(1)
    const snap = await snapshot(reg.stack)
    expect(snap.staged).toBe(0)
    expect(snap.blobs.map((b) => b.objectKey).sort()).toEqual(snap.objects)
  })

  it('collects the staged objects of an upload interrupted by a crash at the next start', async () => {
    const before = await snapshot(reg.stack)
    // what a crash leaves: an upload still "receiving" and an object it staged
    await reg.stack.db.upload.create({ data: { id: 'crashed-upload', state: 'receiving' } })
    const key = await registerStaged(reg.stack, 'crashed-upload')
    await reg.stack.store.write(key, Buffer.from('partial layer'))
    expect(await collectInterruptedUploads(reg.stack)).toBe(1)
    expect(await snapshot(reg.stack)).toEqual(before)
    expect(await reg.stack.db.upload.findUnique({ where: { id: 'crashed-upload' } })).toMatchObject({ state: 'failed', errorCode: 'INTERRUPTED' })
  })
})
