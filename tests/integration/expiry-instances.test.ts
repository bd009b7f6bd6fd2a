// Several instances on one database and bucket: an instance that starts while another one receives an
// archive upload must not take that upload for one a crash interrupted. Its start-up collection
// (boot) used to fail every "receiving" upload, delete its staged layers and abort every multipart
// upload that was not a push session's; the first instance then committed a tag whose layer object was
// gone. Now an upload is collected only when the lease its instance renews has run out.
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { providers } from '../helpers/stack'
import { startRegistry, type Registry } from '../helpers/http-stack'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { waitFor } from './store-outage-support'
import { heldUpload, startSecondInstance, multipartDirs, partFiles } from './expiry-support'

const MiB = 1024 * 1024

describe.each(providers)('a second instance starting during an upload (%s)', (provider) => {
  let reg: Registry
  beforeAll(async () => {
    reg = await startRegistry(provider)
  }, 120_000)
  afterAll(async () => {
    await reg?.close()
  })

  it('leaves the upload alone: it commits and pulls byte-exact through both instances', async () => {
    const layer = await makeLayer(20 * MiB)
    const { archive, diffIds } = await makeDockerArchive({ repoTags: ['two/app:1.0'], layers: [layer] })
    const upload = heldUpload(reg.url, archive, 12 * MiB) // in the middle of the layer
    const { db } = reg.stack
    const receiving = await waitFor('the upload to start', async () => db.upload.findFirst({ where: { state: 'receiving' } }).then((u) => !!u), 30_000).then(() =>
      db.upload.findFirstOrThrow({ where: { state: 'receiving' } }),
    )
    await waitFor('a part of the layer in the store', async () => {
      for (const id of await multipartDirs(reg.stack)) if ((await partFiles(reg.stack, id)).length > 0) return true
      return false
    }, 60_000)
    const staged = await db.stagedObject.findMany({ where: { ownerId: receiving.id } })
    expect(staged.length).toBeGreaterThan(0)
    const stored = [] as string[] // staged objects already written (the layer being written is still parts)
    for (const s of staged) if ((await reg.stack.store.stat(s.objectKey)) !== null) stored.push(s.objectKey)
    const multipartBefore = await multipartDirs(reg.stack)
    expect(await db.multipartUpload.count({ where: { ownerId: receiving.id } })).toBe(1) // recorded before its first part

    const logs: string[] = []
    const second = await startSecondInstance(reg.stack, logs)
    try {
      // the start-up collection ran and took nothing of the live upload
      expect(await db.upload.findUnique({ where: { id: receiving.id } })).toMatchObject({ state: 'receiving', errorCode: null })
      expect(await db.stagedObject.count({ where: { ownerId: receiving.id } })).toBeGreaterThanOrEqual(staged.length)
      for (const key of stored) expect(await reg.stack.store.stat(key)).not.toBeNull()
      expect(await multipartDirs(reg.stack)).toEqual(expect.arrayContaining(multipartBefore))

      const answer = await upload.release()
      expect(answer.status).toBe(201)
      expect(answer.body.tags[0]).toMatchObject({ repository: 'two/app', tag: '1.0', status: 'created' })
      for (const url of [reg.url, second.server.url]) {
        const pulled = await fetch(`${url}/v2/two/app/blobs/${diffIds[0]}`)
        expect(pulled.status).toBe(200)
        expect(Buffer.from(await pulled.arrayBuffer()).equals(layer)).toBe(true)
        expect((await fetch(`${url}/v2/two/app/manifests/1.0`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } })).status).toBe(200)
      }
      expect(await db.stagedObject.count()).toBe(0)
      expect(await db.multipartUpload.count()).toBe(0)
      expect(await multipartDirs(reg.stack)).toEqual([])
    } finally {
      await second.close()
    }
  }, 240_000)
})
