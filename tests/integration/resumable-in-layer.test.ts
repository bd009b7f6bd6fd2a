// A resumable upload continues INSIDE a layer after its server was killed (SIGKILL): an archive with one
// 72 MiB layer is sent over tus to a real Stowage process, which is killed once more than one 8 MiB part
// of that layer is stored; a new process reports (HEAD) an offset inside the layer, receives the rest and
// commits the same image an uninterrupted import gives, pulled byte for byte, with no multipart upload,
// staged object or stray object left. A client that sends other bytes after the resume gets the layer
// refused by digest verification (LAYER_DIGEST_MISMATCH) and nothing of the upload becomes visible. In
// process: a graceful stop keeps the parts for a successor; cancel and expiry abort them.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createHash } from 'node:crypto'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { providers, startStack, snapshot, type Stack } from '../helpers/stack'
import { waitFor } from '../helpers/http-stack'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { tusCreate, tusOffset, tusPatchFile, tusRequest, type TusAnswer } from '../helpers/tus-client'
import { startInstanceProcess, type InstanceProcess } from '../helpers/instance-process'
import { LAYER_PART_SIZE } from '../../lib/resumable/layer-parts'
import { openDatabase } from '../../lib/db/client'
import { listen } from '../../lib/http/stowage-server'
import { sessionRegistry } from '../../lib/resumable/session-registry'
import { collectInterruptedUploads } from '../../lib/registry/staging'
import { expireMultipartUploads } from '../../lib/lifecycle/expire-multipart'

const MiB = 1024 * 1024
const ADMIN = 'admin'
const PASSWORD = 'resume-in-layer-admin-password'
const auth = { Authorization: `Basic ${Buffer.from(`${ADMIN}:${PASSWORD}`).toString('base64')}` }
const sha256 = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex')
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-in-layer-'))

type Checkpoint = { layer?: { path: string; key: string; dataStart: number; size: number; bytes: number; parts: unknown[] } }

describe.each(providers)('resumable upload resumed inside a layer after SIGKILL (%s)', (provider) => {
  let stack: Stack
  /** the manifest digest of the archive imported in one streaming POST */
  let reference: string | undefined
  let layer: Buffer
  let archive: Buffer
  let file: string
  const instances: InstanceProcess[] = []
  // SQLite: the instance's start-up migration needs the file to itself (this process reconnects after)
  const start = async () => {
    if (provider === 'sqlite') await stack.db.$disconnect()
    const i = await startInstanceProcess({ DATABASE_URL: stack.databaseUrl, ...stack.s3Env, STOWAGE_ADMIN_USER: ADMIN, STOWAGE_ADMIN_PASSWORD: PASSWORD })
    instances.push(i)
    if (provider === 'sqlite') stack.db = await openDatabase(stack.databaseUrl)
    return i
  }

  beforeAll(async () => {
    stack = await startStack(provider)
    layer = await makeLayer(72 * MiB)
    ;({ archive } = await makeDockerArchive({ repoTags: ['inlayer/app:v1'], layers: [layer] }))
    file = path.join(tmp, `in-layer-${provider}.tar`)
    fs.writeFileSync(file, archive)
  }, 120_000)
  afterAll(async () => {
    for (const i of instances) await i.stop()
    await stack?.db.$disconnect()
    await stack?.close()
  })

  /** Sends the first 40 MB to a new instance, waits until > 1 part of the layer is checkpointed, kills it. */
  async function uploadAndKill(tag: string) {
    const a = await start()
    const location = await tusCreate(`${a.url}/api/uploads/tus`, archive.length, { filename: 'in-layer.tar', repository: 'inlayer/app', tag }, auth)
    const id = location.split('/').pop()!
    const sent = 40 * 1000 * 1000
    const first = (await tusPatchFile(location, file, 0, { end: sent, headers: auth })) as TusAnswer
    expect(first.status, first.body).toBe(204)
    const read = async () => {
      const row = await stack.db.resumableUpload.findUnique({ where: { id } })
      const cp: Checkpoint | null = row?.checkpoint ? JSON.parse(row.checkpoint) : null
      return cp?.layer && cp.layer.parts.length >= 2 ? { offset: Number(row!.checkpointOffset), layer: cp.layer } : null
    }
    await waitFor(read, 'a checkpoint after two stored parts of the layer', 120_000)
    process.kill(a.pid, 'SIGKILL')
    await a.stop()
    const saved = (await read())! // the last one saved before the kill (a later part may have been stored meanwhile)
    // a crashed holder's mark ages out after 30 s (heldMs); the test ages it instead of waiting
    await stack.db.resumableUpload.update({ where: { id }, data: { updatedAt: new Date(0) } })
    return { id, saved }
  }

  it('continues inside the layer on a new process and imports the same image, byte-exact, leaving nothing behind', async () => {
    const { id, saved } = await uploadAndKill('resumed')
    expect(saved.layer.size).toBe(layer.length)
    expect(saved.offset).toBe(saved.layer.dataStart + saved.layer.bytes)
    expect(saved.layer.bytes).toBe(saved.layer.parts.length * LAYER_PART_SIZE)

    const b = await start()
    const location = `${b.url}/api/uploads/tus/${id}`
    const offset = await tusOffset(location, auth)
    // inside the layer, past its first two parts: what came before is not sent again
    expect(offset).toBe(saved.offset)
    expect(offset).toBeGreaterThanOrEqual(saved.layer.dataStart + 2 * LAYER_PART_SIZE)
    expect(offset).toBeLessThan(saved.layer.dataStart + layer.length)
    const rest = (await tusPatchFile(location, file, offset, { headers: auth })) as TusAnswer
    expect(rest.status, rest.body).toBe(204)
    const outcome = JSON.parse(((await tusRequest(location, 'GET', auth)) as TusAnswer).body)
    expect(outcome.state).toBe('committed')

    // the same archive in one streaming POST, as the reference
    const post = await fetch(`${b.url}/api/uploads?repository=inlayer/app&tag=plain`, { method: 'POST', headers: auth, body: new Uint8Array(archive) })
    const plain = await post.json()
    expect(post.status, JSON.stringify(plain)).toBe(201)
    reference = plain.images[0].manifestDigest
    expect(outcome.result.images[0].manifestDigest).toBe(reference)
    expect(outcome.result.images[0].configDigest).toBe(plain.images[0].configDigest)

    // pulled byte for byte
    const manifest = await (await fetch(`${b.url}/v2/inlayer/app/manifests/resumed`, { headers: { ...auth, Accept: 'application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json' } })).json()
    expect(manifest.layers).toHaveLength(1)
    expect(manifest.layers[0].digest).toBe(sha256(layer))
    const blob = Buffer.from(await (await fetch(`${b.url}/v2/inlayer/app/blobs/${manifest.layers[0].digest}`, { headers: auth })).arrayBuffer())
    expect(blob.length).toBe(layer.length)
    expect(blob.equals(layer)).toBe(true)

    // nothing left over: no multipart upload (record or in the bucket), no staged object, every object a blob's
    expect(await stack.db.multipartUpload.count()).toBe(0)
    expect(await stack.db.stagedObject.count({ where: { ownerId: id } })).toBe(0)
    const unfinished: string[] = []
    for await (const u of stack.store.listMultipartUploads!('')) unfinished.push(u.key)
    expect(unfinished).toEqual([])
    const snap = await snapshot(stack)
    const blobKeys = new Set(snap.blobs.map((x) => x.objectKey))
    expect(snap.objects.filter((k) => !blobKeys.has(k) && !k.startsWith('blobs/layer-index/'))).toEqual([])
    await b.stop()
  })

  it('refuses other bytes sent after the resume by digest verification, and nothing of it becomes visible', async () => {
    const { id, saved } = await uploadAndKill('corrupt')
    const b = await start()
    const before = await snapshot(stack)
    const location = `${b.url}/api/uploads/tus/${id}`
    const offset = await tusOffset(location, auth)
    expect(offset).toBe(saved.offset)
    // the client changes one byte of the layer after the resume point
    const changed = Buffer.from(archive)
    changed[offset + 1000] ^= 0xff
    const bad = path.join(tmp, `corrupt-${provider}.tar`)
    fs.writeFileSync(bad, changed)
    const rest = (await tusPatchFile(location, bad, offset, { headers: auth })) as TusAnswer
    expect(rest.status, rest.body).toBe(422)
    const error = JSON.parse(rest.body).error
    expect(error.code).toBe('LAYER_DIGEST_MISMATCH')
    expect(error.message).toMatch(/diff_id/)
    expect((await fetch(`${b.url}/api/repositories/inlayer/app/tags/corrupt`, { headers: auth })).status).toBe(404)
    await waitFor(async () => (await stack.db.stagedObject.count({ where: { ownerId: id } })) === 0, 'the staged objects deleted')
    expect(await stack.db.multipartUpload.count()).toBe(0)
    const after = await snapshot(stack)
    expect(after.tags).toEqual(before.tags)
    expect(after.blobs).toEqual(before.blobs)
    // the layer's staged object (assembled from the parts before and after the resume) is gone too
    expect(after.objects.filter((k) => !before.objects.includes(k) && !k.startsWith('blobs/layer-index/'))).toEqual([])
  })

  it('a graceful stop inside the layer keeps its stored parts, and another instance continues them', async () => {
    const open = {} // in-process servers of the stack: open access
    const first = { ...stack } // the services of the stopping instance (its session registry)
    const a = await listen(first, { port: 0, host: '127.0.0.1' })
    const successor = await listen({ ...stack }, { port: 0, host: '127.0.0.1' })
    try {
      const location = await tusCreate(`${a.url}/api/uploads/tus`, archive.length, { filename: 'in-layer.tar', repository: 'inlayer/app', tag: 'graceful' }, open)
      const id = location.split('/').pop()!
      expect(((await tusPatchFile(location, file, 0, { end: 40 * 1000 * 1000, headers: open })) as TusAnswer).status).toBe(204)
      await waitFor(async () => {
        const row = await stack.db.resumableUpload.findUnique({ where: { id } })
        return row?.checkpoint && (JSON.parse(row.checkpoint) as Checkpoint).layer?.parts.length! >= 2
      }, 'a checkpoint after two stored parts of the layer', 120_000)
      const there = `${successor.url}/api/uploads/tus/${id}`
      expect(((await tusRequest(there, 'HEAD', open)) as TusAnswer).status).toBe(423)
      await sessionRegistry(first).suspendAll()
      // the stop aborted nothing: the layer's multipart upload is still there for the successor
      expect(await stack.db.multipartUpload.count({ where: { ownerId: id } })).toBe(1)
      const row = await stack.db.resumableUpload.findUnique({ where: { id } })
      const cp = JSON.parse(row!.checkpoint!) as Checkpoint
      const offset = await tusOffset(there, open)
      expect(offset).toBe(Number(row!.checkpointOffset))
      expect(offset).toBe(cp.layer!.dataStart + cp.layer!.bytes)
      expect(cp.layer!.bytes).toBeGreaterThanOrEqual(2 * LAYER_PART_SIZE)
      const rest = (await tusPatchFile(there, file, offset, { headers: open })) as TusAnswer
      expect(rest.status, rest.body).toBe(204)
      const outcome = JSON.parse(((await tusRequest(there, 'GET', open)) as TusAnswer).body)
      expect(outcome.state).toBe('committed')
      if (!reference) {
        const post = await fetch(`${successor.url}/api/uploads?repository=inlayer/app&tag=plain`, { method: 'POST', headers: open, body: new Uint8Array(archive) })
        reference = (await post.json()).images[0].manifestDigest
      }
      expect(outcome.result.images[0].manifestDigest).toBe(reference)
      expect(await stack.db.multipartUpload.count({ where: { ownerId: id } })).toBe(0)
      expect(await stack.db.stagedObject.count({ where: { ownerId: id } })).toBe(0)
    } finally {
      await successor.close()
      await a.close()
    }
  })

  it('cancelling an upload stopped inside a layer discards the kept parts and their record', async () => {
    const first = { ...stack }
    const a = await listen(first, { port: 0, host: '127.0.0.1' })
    const successor = await listen({ ...stack }, { port: 0, host: '127.0.0.1' })
    try {
      const location = await tusCreate(`${a.url}/api/uploads/tus`, archive.length, { filename: 'in-layer.tar', repository: 'inlayer/app', tag: 'cancelled' })
      const id = location.split('/').pop()!
      expect(((await tusPatchFile(location, file, 0, { end: 24 * 1000 * 1000 })) as TusAnswer).status).toBe(204)
      await waitFor(async () => {
        const row = await stack.db.resumableUpload.findUnique({ where: { id } })
        return row?.checkpoint && (JSON.parse(row.checkpoint) as Checkpoint).layer?.parts.length! >= 1
      }, 'a checkpoint inside the layer', 120_000)
      await sessionRegistry(first).suspendAll()
      const row = await stack.db.resumableUpload.findUnique({ where: { id } })
      const key = (JSON.parse(row!.checkpoint!) as Checkpoint).layer!.key
      expect(await stack.db.multipartUpload.count({ where: { ownerId: id } })).toBe(1)
      const deleted = (await tusRequest(`${successor.url}/api/uploads/tus/${id}`, 'DELETE', {})) as TusAnswer
      expect(deleted.status, deleted.body).toBe(204)
      expect(await stack.db.multipartUpload.count({ where: { ownerId: id } })).toBe(0)
      expect(await stack.db.stagedObject.count({ where: { ownerId: id } })).toBe(0)
      const unfinished: string[] = []
      for await (const u of stack.store.listMultipartUploads!('')) unfinished.push(u.key)
      expect(unfinished).not.toContain(key)
    } finally {
      await successor.close()
      await a.close()
    }
  })

  it('an upload stopped inside a layer that nobody continues has its parts aborted by expiry', async () => {
    const first = { ...stack }
    const a = await listen(first, { port: 0, host: '127.0.0.1' })
    try {
      const location = await tusCreate(`${a.url}/api/uploads/tus`, archive.length, { filename: 'in-layer.tar', repository: 'inlayer/app', tag: 'abandoned' })
      const id = location.split('/').pop()!
      expect(((await tusPatchFile(location, file, 0, { end: 24 * 1000 * 1000 })) as TusAnswer).status).toBe(204)
      await waitFor(async () => {
        const row = await stack.db.resumableUpload.findUnique({ where: { id } })
        return row?.checkpoint && (JSON.parse(row.checkpoint) as Checkpoint).layer?.parts.length! >= 1
      }, 'a checkpoint inside the layer', 120_000)
      await sessionRegistry(first).suspendAll()
      const row = await stack.db.resumableUpload.findUnique({ where: { id } })
      const key = (JSON.parse(row!.checkpoint!) as Checkpoint).layer!.key
      // while its lease runs (the idle time) the parts wait for the client
      await collectInterruptedUploads(stack)
      await expireMultipartUploads(stack)
      expect(await stack.db.multipartUpload.count({ where: { ownerId: id } })).toBe(1)
      // after it: the upload is failed, its staged objects deleted, its multipart upload aborted
      const later = new Date(Date.now() + 2 * 24 * 3600_000)
      expect((await collectInterruptedUploads(stack, { now: later })).uploads).toBeGreaterThanOrEqual(1)
      await expireMultipartUploads(stack, { now: later })
      expect(await stack.db.multipartUpload.count({ where: { ownerId: id } })).toBe(0)
      expect(await stack.db.stagedObject.count({ where: { ownerId: id } })).toBe(0)
      const unfinished: string[] = []
      for await (const u of stack.store.listMultipartUploads!('')) unfinished.push(u.key)
      expect(unfinished).not.toContain(key)
    } finally {
      await a.close()
    }
  })
})
