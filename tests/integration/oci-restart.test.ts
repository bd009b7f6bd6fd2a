// Upload sessions live in the database and the bucket, not in the server process: an upload continues
// after the server (and its database client) is replaced, and sessions nobody finishes are collected.
import { randomBytes, randomUUID } from 'node:crypto'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startStack, snapshot, providers, type Stack } from '../helpers/stack'
import { reopen, request, sha256 } from './oci-support'
import { PART_BYTES } from '../../lib/oci/chunk-writer'
import { sweepUploadSessions } from '../../lib/oci/upload-sweeper'
import { registerStaged } from '../../lib/registry/staging'
import { expireStagedObjects } from '../../lib/lifecycle/expire-staged'

describe.each(providers)('upload sessions across restarts (%s)', (provider) => {
  let stack: Stack
  beforeAll(async () => {
    stack = await startStack(provider)
  })
  afterAll(async () => {
    await stack?.close()
  })

  it('continues an upload on a new server after the first one stopped mid-upload', async () => {
    const data = randomBytes(PART_BYTES + 4 * 1024 * 1024 + 99)
    const cut1 = PART_BYTES + 1000 // one full part stored in the multipart upload, the rest in the tail object
    const cut2 = cut1 + 2 * 1024 * 1024

    const first = await reopen(stack)
    const post = await request(`${first.server.url}/v2/restart/app/blobs/uploads/`, { method: 'POST' })
    const location = post.headers.get('location')!
    const patch = await request(first.server.url + location, { method: 'PATCH', body: data.subarray(0, cut1), headers: { 'Content-Range': `0-${cut1 - 1}` } })
    expect(patch.status).toBe(202)
    await first.close() // the server, its database client and its in-memory running digest are gone

    const second = await reopen(stack)
    try {
      const status = await request(second.server.url + location)
      expect(status.status).toBe(204)
      expect(status.headers.get('range')).toBe(`0-${cut1 - 1}`)
      const more = await request(second.server.url + location, { method: 'PATCH', body: data.subarray(cut1, cut2), headers: { 'Content-Range': `${cut1}-${cut2 - 1}` } })
      expect(more.headers.get('range')).toBe(`0-${cut2 - 1}`)
      const put = await request(`${second.server.url}${location}?digest=${sha256(data)}`, { method: 'PUT', body: data.subarray(cut2) })
      expect(put.status).toBe(201)
      const got = Buffer.from(await (await request(`${second.server.url}/v2/restart/app/blobs/${sha256(data)}`)).arrayBuffer())
      expect(sha256(got)).toBe(sha256(data))
      expect(await stack.db.stagedObject.count()).toBe(0)
      expect(await stack.db.blobUploadSession.count()).toBe(0)
    } finally {
      await second.close()
    }
  })

  it('still detects a wrong digest when the content has to be read back', async () => {
    const data = randomBytes(PART_BYTES + 10)
    const first = await reopen(stack)
    const location = (await request(`${first.server.url}/v2/restart/app/blobs/uploads/`, { method: 'POST' })).headers.get('location')!
    await request(first.server.url + location, { method: 'PATCH', body: data.subarray(0, 100) })
    await first.close()
    const second = await reopen(stack)
    try {
      const flipped = Buffer.from(data)
      flipped[5] ^= 1
      const put = await request(`${second.server.url}${location}?digest=${sha256(flipped)}`, { method: 'PUT', body: data.subarray(100) })
      expect(put.status).toBe(400)
      expect((await put.json()).errors[0]).toMatchObject({ code: 'DIGEST_INVALID', detail: { actual: sha256(data) } })
    } finally {
      await second.close()
    }
  })

  it('collects sessions nobody finished, and objects whose session is gone', async () => {
    const before = await snapshot(stack)
    const server = await reopen(stack)
    try {
      const location = (await request(`${server.server.url}/v2/abandoned/app/blobs/uploads/`, { method: 'POST' })).headers.get('location')!
      await request(server.server.url + location, { method: 'PATCH', body: randomBytes(PART_BYTES + 500) })
      // an object a crashed server staged for a session whose row is already gone
      const orphan = await registerStaged(stack, `blob-upload:${randomUUID()}`)
      await stack.store.write(orphan, Buffer.from('left behind'))
      expect((await snapshot(stack)).objects.length).toBeGreaterThan(before.objects.length)

      // nothing is collected while it is fresh
      expect(await sweepUploadSessions(stack)).toBe(0)
      expect(await expireStagedObjects(stack)).toBe(0)
      expect((await request(server.server.url + location)).status).toBe(204)

      // past both expiries (a day for sessions, an hour for objects): the session, then the orphan
      // (objects of vanished sessions are now expiry's, lib/lifecycle/expire-staged.ts)
      const later = new Date(Date.now() + 25 * 60 * 60 * 1000)
      expect(await sweepUploadSessions(stack, { now: later })).toBe(1)
      // the swept session's two keys (target, tail: rows kept one more expiry for a late write) and the orphan
      expect(await expireStagedObjects(stack, { now: new Date(later.getTime() + 2 * 60 * 60 * 1000) })).toBe(3)
      expect((await request(server.server.url + location)).status).toBe(404)
      const after = await snapshot(stack)
      expect(after.objects).toEqual(before.objects)
      expect(after.staged).toBe(before.staged)
      expect(await stack.db.blobUploadSession.count()).toBe(0)
    } finally {
      await server.close()
    }
  })
})
