// The embedded object store (a real s3rver child process, started by boot()) dying alone: it is started
// again; while it is down, uploads and pulls answer 503 with a message that names the cause and not the
// store's internal address; the upload that was running is recorded as a store failure (not as the
// client's abort); and what the failed uploads left in the store (staged objects, multipart parts) is
// collected once the store is back. On SQLite and PostgreSQL.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { providers, createDatabase } from '../helpers/stack'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { boot, type Runtime } from '../../lib/boot'
import { embeddedS3PidFile } from '../../lib/storage/embedded-s3'
import { listen, type RunningServer } from '../../lib/http/stowage-server'
import { importArchive } from '../../lib/archive/import-archive'
import { multipartLeftovers, storedObjects, streamedUpload, waitFor, isRunning } from './store-outage-support'

const RESTART_DELAY_MS = 4000 // long enough to act while the store is down

describe.each(providers)('embedded object store dies alone (%s)', (provider) => {
  let dir: string
  let drop: () => Promise<void>
  let rt: Runtime
  let server: RunningServer
  const logs: string[] = []
  const s3Dir = () => path.join(dir, 's3')

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-outage-'))
    const database = await createDatabase(provider, dir)
    drop = database.drop
    const env = { STOWAGE_DATA_DIR: dir, ...(provider === 'postgresql' ? { DATABASE_URL: database.url } : {}) }
    rt = await boot(env, (m) => void logs.push(m), { embeddedS3: { restartDelaysMs: [RESTART_DELAY_MS] } })
    // not a test of access control: callers act as an administrator
    rt.services.auth = { ...rt.services.auth, openAccess: true }
    server = await listen(rt.services, { port: 0, host: '127.0.0.1' })
  }, 120_000)
  afterAll(async () => {
    await server?.close()
    await rt?.shutdown()
    await drop?.()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('is restarted; meanwhile requests get 503 without internal addresses; leftovers are collected; uploads work again', async () => {
    const layer = await makeLayer(200_000)
    const first = await makeDockerArchive({ repoTags: ['team/app:1.0'], layers: [layer] })
    await importArchive(rt.services, { body: Readable.from([first.archive]), filename: 'a.tar', repository: null, tag: null })

    // an upload is writing a big layer when the store dies
    const running = streamedUpload(`${server.url}/api/uploads`, { bigBytes: 64 * 1024 * 1024, holdAfter: 24 * 1024 * 1024 })
    await waitFor('parts of the big layer in the store', () => multipartLeftovers(s3Dir()).some((f) => /^\d+$/.test(path.basename(f))), 60_000)
    // the store process itself (it records its pid; under tsx, our child is a launcher around it)
    const storePid = Number(fs.readFileSync(embeddedS3PidFile(dir), 'utf8'))
    process.kill(storePid, 'SIGKILL')
    await waitFor('the store to die', () => !isRunning(storePid))
    running.release()

    // a new upload while the store is down: a clear 503, no internal address
    const { archive } = await makeDockerArchive({ repoTags: ['team/other:1.0'], layers: [await makeLayer(5000)] })
    const down = await fetch(`${server.url}/api/uploads`, { method: "POST", body: new Uint8Array(archive) })
    const downBody = await down.json()
    expect(down.status).toBe(503)
    expect(downBody.error.code).toBe('STORAGE_UNAVAILABLE')
    expect(downBody.error.message).toMatch(/object store is not reachable/)
    expect(downBody.error.message).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|:\d{4,5}/)

    // a registry pull while the store is down
    const pull = await fetch(`${server.url}/v2/team/app/blobs/${first.diffIds[0]}`)
    const pullBody = await pull.json()
    expect(pull.status).toBe(503)
    expect(pull.headers.get('retry-after')).toBe('5')
    expect(pullBody.errors[0].code).toBe('UNAVAILABLE')
    expect(JSON.stringify(pullBody)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED/)

    // the running upload failed because of the store, not because of the client
    await waitFor('the running upload to be recorded as failed', async () => (await rt.services.db.upload.count({ where: { state: 'failed' } })) >= 2)
    await running.stop()
    const failed = await rt.services.db.upload.findMany({ where: { state: 'failed' }, select: { errorCode: true, errorMessage: true } })
    expect(failed.map((u) => u.errorCode)).toEqual(['STORAGE_UNAVAILABLE', 'STORAGE_UNAVAILABLE'])
    for (const u of failed) expect(u.errorMessage).not.toMatch(/127\.0\.0\.1|ECONNREFUSED/)

    // the store comes back by itself, and what the failed uploads left behind is collected
    await waitFor('the store to be restarted', () => rt.embeddedS3!.restarts() === 1, 30_000)
    expect(Number(fs.readFileSync(embeddedS3PidFile(dir), 'utf8'))).not.toBe(storePid)
    await waitFor(
      'the leftovers of the failed uploads to be collected',
      async () => multipartLeftovers(s3Dir()).length === 0 && (await rt.services.db.stagedObject.count()) === 0,
      30_000,
    )
    const blobKeys = (await rt.services.db.blob.findMany({ select: { objectKey: true } })).map((b) => b.objectKey).sort()
    expect(storedObjects(s3Dir()).sort()).toEqual(blobKeys)

    // uploads and pulls work again, and the image stored before the outage is intact
    const again = await fetch(`${server.url}/api/uploads`, { method: "POST", body: new Uint8Array(archive) })
    expect(again.status).toBe(201)
    const pulled = await fetch(`${server.url}/v2/team/app/blobs/${first.diffIds[0]}`)
    expect(pulled.status).toBe(200)
    expect(Buffer.from(await pulled.arrayBuffer()).equals(layer)).toBe(true)
    expect(logs.some((l) => /embedded S3 server exited .*restarting it/.test(l))).toBe(true)
  }, 240_000)
})
