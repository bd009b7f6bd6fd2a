// Expiry of abandoned work (lib/lifecycle/expire.ts runExpiry), on a real s3rver and database:
//  - an instance killed (-9) in the middle of a layer leaves a recorded multipart upload whose parts are on
//    disk; once its lease has run out, expiry aborts it (by its record alone: the store here cannot list
//    multipart uploads) and the parts are gone; before that, nothing of it is touched;
//  - an upload whose instance renews its lease is never collected, however long it takes; one that is
//    collected anyway (its lease seemed to run out) fails with UPLOAD_INTERRUPTED and commits nothing;
//  - registry upload sessions expire by the configured age, a recent one stays; a multipart record of
//    the older owner prefix ("oci-upload:") is still recognised; the expiry.run job logs one structured line;
//  - staged objects: a live upload's kept, a vanished session's and an unknown owner's by age.
import path from 'node:path'
import { spawn } from 'node:child_process'
import { PassThrough } from 'node:stream'
import { randomBytes, randomUUID } from 'node:crypto'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startRegistry, type Registry } from '../helpers/http-stack'
import { providers } from '../helpers/stack'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { request, locationPath } from './oci-support'
import { waitFor, isRunning } from './store-outage-support'
import { multipartDirs, partFiles } from './expiry-support'
import { runExpiry } from '../../lib/lifecycle/expire'
import { startJobs } from '../../lib/jobs/start-jobs'
import { importArchive } from '../../lib/archive/import-archive'
import { collectInterruptedUploads, registerStaged } from '../../lib/registry/staging'
import type { Services } from '../../lib/services'
import type { BlobStore } from '../../lib/storage/blob-store'
import { projectRoot } from '../../lib/paths'

const MiB = 1024 * 1024

/** The store without ListMultipartUploads, as stock s3rver and some S3 services are: only records tell. */
function withoutListing(store: BlobStore): BlobStore {
  const s = Object.create(store) as BlobStore
  s.listMultipartUploads = undefined
  return s
}

describe.each(providers)('expiry of abandoned work (%s)', (provider) => {
  let reg: Registry
  beforeAll(async () => {
    reg = await startRegistry(provider)
  }, 120_000)
  afterAll(async () => {
    await reg?.close()
  })

  it('aborts the multipart upload of an instance killed mid-layer once its lease ran out; its parts leave the disk', async () => {
    const { stack } = reg
    // node itself runs the script (tsx as a loader, not its launcher): the process killed is the importer
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'tests/helpers/import-child.ts')], {
      cwd: projectRoot,
      env: {
        ...process.env,
        IMPORT_CHILD_DATABASE_URL: stack.databaseUrl,
        ...stack.s3Env,
        IMPORT_CHILD_LEASE_SECONDS: '5',
        IMPORT_CHILD_LAYER_BYTES: String(64 * MiB),
        IMPORT_CHILD_SEND_BYTES: String(20 * MiB),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (c) => (output += c))
    child.stderr.on('data', (c) => (output += c))
    try {
      const record = await waitFor(
        'a recorded multipart upload with two parts on disk',
        async () => {
          const r = await stack.db.multipartUpload.findFirst()
          return !!r && (await partFiles(stack, r.uploadId)).length >= 2
        },
        90_000,
      ).then(() => stack.db.multipartUpload.findFirstOrThrow())
      expect(output).not.toMatch(/import failed/)
      child.kill('SIGKILL')
      await waitFor('the child to die', () => !isRunning(child.pid!))

      const upload = await stack.db.upload.findUniqueOrThrow({ where: { id: record.ownerId } })
      expect(upload.state).toBe('receiving')
      expect(await stack.db.stagedObject.count({ where: { ownerId: upload.id, objectKey: record.objectKey } })).toBe(1)
      const services: Services = { ...stack, store: withoutListing(stack.store), lifecycle: { stagedExpirySeconds: 0, multipartExpirySeconds: 0 } }

      // its lease has not run out yet: for all anyone knows the instance is alive
      if ((await stack.db.upload.findUniqueOrThrow({ where: { id: upload.id } })).leaseUntil! > new Date()) {
        expect(await runExpiry(services)).toEqual({ uploads: 0, uploadSessions: 0, uploadSessionBytes: 0, stagedObjects: 0, multipartUploads: 0 })
        expect((await partFiles(stack, record.uploadId)).length).toBeGreaterThanOrEqual(2)
      }

      // nobody renews it any more
      await waitFor('the lease to run out', async () => (await stack.db.upload.findUniqueOrThrow({ where: { id: upload.id } })).leaseUntil! < new Date(), 30_000)
      const result = await runExpiry(services)
      expect(result).toMatchObject({ uploads: 1, multipartUploads: 1 })
      expect(result.stagedObjects).toBeGreaterThanOrEqual(1)
      expect(await multipartDirs(stack)).not.toContain(record.uploadId)
      expect(await partFiles(stack, record.uploadId)).toEqual([])
      expect(await stack.db.multipartUpload.count()).toBe(0)
      expect(await stack.db.stagedObject.count({ where: { ownerId: upload.id } })).toBe(0)
      expect(await stack.db.upload.findUnique({ where: { id: upload.id } })).toMatchObject({ state: 'failed', errorCode: 'INTERRUPTED' })
      // a second run finds nothing left
      expect(await runExpiry(services)).toEqual({ uploads: 0, uploadSessions: 0, uploadSessionBytes: 0, stagedObjects: 0, multipartUploads: 0 })
    } finally {
      if (isRunning(child.pid!)) child.kill('SIGKILL')
    }
  }, 180_000)

  it('never collects an upload whose lease is renewed, however long it takes; it commits', async () => {
    const services: Services = { ...reg.stack, lifecycle: { uploadLeaseSeconds: 1, stagedExpirySeconds: 0, multipartExpirySeconds: 0 } }
    const layer = await makeLayer(20 * MiB)
    const { archive } = await makeDockerArchive({ repoTags: ['lease/renewed:1'], layers: [layer] })
    const body = new PassThrough()
    const importing = importArchive(services, { body, filename: 'renewed.tar' })
    importing.catch(() => {})
    body.write(archive.subarray(0, 12 * MiB))
    const { db } = reg.stack
    const first = await waitFor('the upload to start', () => db.upload.findFirst({ where: { state: 'receiving' } }).then(Boolean)).then(() =>
      db.upload.findFirstOrThrow({ where: { state: 'receiving' } }),
    )
    await waitFor('its multipart upload to be recorded', async () => (await db.multipartUpload.count({ where: { ownerId: first.id } })) === 1, 60_000)
    // past the first lease: only renewals keep it alive
    await waitFor('the first lease to have run out', () => Date.now() > first.leaseUntil!.getTime() + 500, 10_000)
    expect((await db.upload.findUniqueOrThrow({ where: { id: first.id } })).leaseUntil!.getTime()).toBeGreaterThan(first.leaseUntil!.getTime())
    expect(await runExpiry(services)).toEqual({ uploads: 0, uploadSessions: 0, uploadSessionBytes: 0, stagedObjects: 0, multipartUploads: 0 })

    body.end(archive.subarray(12 * MiB))
    const result = await importing
    expect(result.tags[0]).toMatchObject({ repository: 'lease/renewed', tag: '1', status: 'created' })
    const pulled = await fetch(`${reg.url}/v2/lease/renewed/blobs/${result.images[0].configDigest}`)
    expect(pulled.status).toBe(200)
    expect(await db.multipartUpload.count()).toBe(0)
  }, 120_000)

  it('an upload collected while it still arrives (its lease seemed to run out) fails with UPLOAD_INTERRUPTED and commits nothing', async () => {
    const services: Services = { ...reg.stack, lifecycle: { uploadLeaseSeconds: 1 } }
    const { archive } = await makeDockerArchive({ repoTags: ['lease/lost:1'], layers: [await makeLayer(12 * MiB)] })
    const body = new PassThrough()
    const importing = importArchive(services, { body, filename: 'lost.tar' })
    importing.catch(() => {})
    body.write(archive.subarray(0, 10 * MiB))
    const { db } = reg.stack
    await waitFor('the upload to start', () => db.upload.findFirst({ where: { state: 'receiving' } }).then(Boolean))
    // another instance whose clock is far ahead sees the lease as run out
    expect((await collectInterruptedUploads(reg.stack, { now: new Date(Date.now() + 3600_000) })).uploads).toBe(1)
    body.end(archive.subarray(10 * MiB))
    await expect(importing).rejects.toMatchObject({ code: 'UPLOAD_INTERRUPTED', status: 503 })
    expect(await db.repository.count({ where: { name: 'lease/lost' } })).toBe(0)
    await waitFor('its leftovers to be gone', async () => (await db.stagedObject.count()) === 0 && (await db.multipartUpload.count()) === 0)
  }, 120_000)

  it('expires registry upload sessions by the configured age; a recent one stays', async () => {
    const { db } = reg.stack
    const services: Services = { ...reg.stack, lifecycle: { uploadSessionExpirySeconds: 3600 } }
    const started = async (repo: string) => {
      const location = locationPath(await request(`${reg.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' }))
      expect((await request(reg.url + location, { method: 'PATCH', body: randomBytes(9 * MiB), headers: { 'Content-Range': `0-${9 * MiB - 1}` } })).status).toBe(202)
      const session = await db.blobUploadSession.findFirstOrThrow({ where: { repository: repo } })
      return { location, session }
    }
    const old = await started('expiry/old')
    const recent = await started('expiry/recent')
    expect(await db.multipartUpload.findUnique({ where: { uploadId: old.session.multipartId! } })).toMatchObject({ ownerId: `blob-upload:${old.session.id}` })
    // idle for two hours (and its write lease long gone)
    await db.blobUploadSession.update({ where: { id: old.session.id }, data: { updatedAt: new Date(Date.now() - 2 * 3600_000), lockedUntil: null } })

    expect(await runExpiry(services)).toMatchObject({ uploadSessions: 1, uploadSessionBytes: 9 * MiB, multipartUploads: 0 }) // aborted with its session
    expect((await request(reg.url + old.location)).status).toBe(404)
    expect((await request(reg.url + recent.location)).status).toBe(204)
    expect(await partFiles(reg.stack, old.session.multipartId!)).toEqual([])
    expect((await partFiles(reg.stack, recent.session.multipartId!)).length).toBe(1)
    expect(await db.multipartUpload.count({ where: { uploadId: old.session.multipartId! } })).toBe(0)
    // its objects are gone; their rows stay one more STOWAGE_STAGED_EXPIRY_SECONDS (a request whose lease ran
    // out may still be writing a chunk), then the next expiry deletes the keys again and the rows
    const oldOwner = { ownerId: `blob-upload:${old.session.id}` }
    const oldKeys = (await db.stagedObject.findMany({ where: oldOwner })).map((r) => r.objectKey)
    expect(oldKeys.length).toBeGreaterThan(0)
    for (const key of oldKeys) expect(await reg.stack.store.stat(key)).toBeNull()
    expect(await runExpiry(services)).toMatchObject({ stagedObjects: 0 })
    await db.stagedObject.updateMany({ where: oldOwner, data: { createdAt: new Date(Date.now() - 2 * 3600_000) } })
    expect(await runExpiry(services)).toMatchObject({ stagedObjects: oldKeys.length })
    expect(await db.stagedObject.count({ where: oldOwner })).toBe(0)

    // a shorter setting takes the recent one too
    await db.blobUploadSession.update({ where: { id: recent.session.id }, data: { updatedAt: new Date(Date.now() - 120_000), lockedUntil: null } })
    expect(await runExpiry({ ...reg.stack, lifecycle: { uploadSessionExpirySeconds: 60 } })).toMatchObject({ uploadSessions: 1 })
    expect((await request(reg.url + recent.location)).status).toBe(404)
    expect(await multipartDirs(reg.stack)).toEqual([])
  }, 120_000)

  it('the expiry.run job logs what it collected as one structured line', async () => {
    const { db } = reg.stack
    const location = locationPath(await request(`${reg.url}/v2/expiry/logged/blobs/uploads/`, { method: 'POST' }))
    expect((await request(reg.url + location, { method: 'PATCH', body: randomBytes(MiB), headers: { 'Content-Range': `0-${MiB - 1}` } })).status).toBe(202)
    await db.blobUploadSession.updateMany({ where: { repository: 'expiry/logged' }, data: { updatedAt: new Date(Date.now() - 2 * 24 * 3600_000), lockedUntil: null } })
    const lines: { msg: string; fields?: Record<string, unknown> }[] = []
    const jobs = await startJobs(reg.stack, {
      databaseUrl: reg.stack.databaseUrl,
      measureConcurrency: 1,
      schedule: false,
      local: { pollMs: 50 },
      pgBoss: { pollingIntervalSeconds: 0.5, stopTimeoutMs: 5000 },
      log: (msg, fields) => void lines.push({ msg, fields }),
    })
    try {
      await jobs.jobs.send('expiry.run', {})
      await waitFor('the expiry job to log', async () => lines.some((l) => l.msg === 'expiry run'))
    } finally {
      await jobs.stop()
    }
    const logged = lines.filter((l) => l.msg === 'expiry run')
    expect(logged).toHaveLength(1)
    expect(logged[0].fields).toMatchObject({ job: 'expiry.run', uploads: 0, uploadSessions: 1, uploadSessionBytes: MiB, stagedObjects: 0, multipartUploads: 0 })
    expect(logged[0].fields!.ms).toEqual(expect.any(Number))
    expect((await request(reg.url + location)).status).toBe(404)
  }, 120_000)

  it('recognises a push session multipart record written by the older version ("oci-upload:"): kept while its session lives, aborted once it is gone', async () => {
    const { db } = reg.stack
    const location = locationPath(await request(`${reg.url}/v2/expiry/older/blobs/uploads/`, { method: 'POST' }))
    expect((await request(reg.url + location, { method: 'PATCH', body: randomBytes(9 * MiB), headers: { 'Content-Range': `0-${9 * MiB - 1}` } })).status).toBe(202)
    const session = await db.blobUploadSession.findFirstOrThrow({ where: { repository: 'expiry/older' } })
    await db.multipartUpload.update({ where: { uploadId: session.multipartId! }, data: { ownerId: `oci-upload:${session.id}` } })
    expect(await runExpiry(reg.stack)).toMatchObject({ multipartUploads: 0 })
    expect((await partFiles(reg.stack, session.multipartId!)).length).toBe(1)
    // the session row went but its upload was not aborted (a crash between the two)
    await db.blobUploadSession.delete({ where: { id: session.id } })
    expect(await runExpiry(reg.stack)).toMatchObject({ multipartUploads: 1 })
    expect(await partFiles(reg.stack, session.multipartId!)).toEqual([])
    expect(await db.multipartUpload.count({ where: { uploadId: session.multipartId! } })).toBe(0)
    // its staged objects carry the same owner id, collected by age like any vanished session's
    const owner = { ownerId: `blob-upload:${session.id}` }
    expect(await db.stagedObject.count({ where: owner })).toBeGreaterThan(0)
    await db.stagedObject.updateMany({ where: owner, data: { createdAt: new Date(Date.now() - 120_000) } })
    await runExpiry({ ...reg.stack, lifecycle: { stagedExpirySeconds: 60 } })
    expect(await db.stagedObject.count({ where: owner })).toBe(0)
  }, 120_000)

  it("collects staged objects by their owner: a live upload's kept, an expired lease's, a vanished session's and an unknown owner's taken", async () => {
    const { db, store } = reg.stack
    const staged = async (ownerId: string) => {
      const key = await registerStaged(reg.stack, ownerId)
      await store.write(key, Buffer.from(`staged by ${ownerId}`))
      return key
    }
    await db.upload.create({ data: { id: 'live', state: 'receiving', leaseUntil: new Date(Date.now() + 60_000) } })
    await db.upload.create({ data: { id: 'expired', state: 'receiving', leaseUntil: new Date(Date.now() - 1000) } })
    const live = await staged('live')
    const expired = await staged('expired')
    const vanished = await staged(`blob-upload:${randomUUID()}`)
    const unknown = await staged('someone-else')

    // with the default age (an hour) only the expired lease's goes: its upload is proven dead
    expect(await runExpiry(reg.stack)).toEqual({ uploads: 1, uploadSessions: 0, uploadSessionBytes: 0, stagedObjects: 1, multipartUploads: 0 })
    expect(await store.stat(expired)).toBeNull()
    for (const key of [live, vanished, unknown]) expect(await store.stat(key)).not.toBeNull()

    // older than the configured age: the vanished session's and the unknown owner's go; the live one stays
    await db.stagedObject.updateMany({ where: { objectKey: { in: [live, vanished, unknown] } }, data: { createdAt: new Date(Date.now() - 120_000) } })
    expect(await runExpiry({ ...reg.stack, lifecycle: { stagedExpirySeconds: 60 } })).toMatchObject({ stagedObjects: 2 })
    expect(await store.stat(live)).not.toBeNull()
    for (const key of [vanished, unknown]) expect(await store.stat(key)).toBeNull()
    expect((await db.stagedObject.findMany({ where: { objectKey: { in: [live, expired, vanished, unknown] } } })).map((s) => s.objectKey)).toEqual([live])
  })
})
