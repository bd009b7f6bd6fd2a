// The embedded object store's life tied to the real Stowage process (started as `npm start` starts it,
// tests/helpers/full-server.ts): kill -9 of the server takes the store with it, the next start on the
// same data directory runs exactly one store and leaves nothing of the crashed upload behind (no
// multipart parts, no staged objects), and a store that dies alone is started again.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, it, expect, afterAll } from 'vitest'
import { startFullServer, adminAuth, type FullServer } from '../helpers/full-server'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { openDatabase } from '../../lib/db/client'
import { multipartLeftovers, storedObjects, streamedUpload, waitFor, isRunning } from './store-outage-support'

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-lifecycle-'))
const s3Dir = path.join(dataDir, 's3')
const servers: FullServer[] = []

async function start() {
  // a 15 s upload lease (default 60 s): the next start collects the crashed upload that much sooner
  const s = await startFullServer({ env: { STOWAGE_DATA_DIR: dataDir, STOWAGE_UPLOAD_LEASE_SECONDS: '15' } })
  servers.push(s)
  return s
}
/** The one store process serving the data directory (found by its command line, not trusting its pid file). */
function storePid(): number {
  const pids = storesOnDataDir()
  expect(pids).toHaveLength(1)
  return pids[0]
}
const parentOf = (pid: number) => Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1])

/** Embedded store processes serving this data directory. */
function storesOnDataDir(): number[] {
  const pids: number[] = []
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const cmd = (() => {
      try {
        return fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ')
      } catch {
        return ''
      }
    })()
    if (cmd.includes('embedded-s3') && cmd.includes(s3Dir) && isRunning(Number(entry))) pids.push(Number(entry))
  }
  return pids
}

async function upload(server: FullServer, archive: Buffer) {
  const res = await server.fetch(`/api/uploads`, { method: 'POST', body: new Uint8Array(archive) })
  return { status: res.status, body: await res.json() }
}

afterAll(async () => {
  for (const s of servers) await s.stop()
  for (const pid of storesOnDataDir()) process.kill(pid, 'SIGKILL') // only if a test failed
  fs.rmSync(dataDir, { recursive: true, force: true })
})

describe.skipIf(!fs.existsSync('/proc/self/stat'))('embedded object store lifecycle with the real server', () => {
  let kept: { archive: Buffer; diffIds: string[]; layer: Buffer }

  it('kill -9 of the server mid-upload: its store exits too, within a few seconds', async () => {
    const server = await start()
    const l = await makeLayer(100_000)
    const made = await makeDockerArchive({ repoTags: ['team/app:1.0'], layers: [l] })
    kept = { ...made, layer: l }
    expect((await upload(server, made.archive)).status).toBe(201)

    const store = storePid()
    const serverPid = parentOf(store)

    // a layer is being written (parts in the store) when the server is killed
    const running = streamedUpload(`${server.url}/api/uploads`, { bigBytes: 64 * 1024 * 1024, holdAfter: 24 * 1024 * 1024, authorization: adminAuth })
    await waitFor('parts of the big layer in the store', () => multipartLeftovers(s3Dir).some((f) => /^\d+$/.test(path.basename(f))), 60_000)
    process.kill(serverPid, 'SIGKILL')
    await running.stop()
    const killedAt = Date.now()
    await waitFor('the store to exit with its server', () => !isRunning(store), 5000, 50)
    console.log(`embedded store exited ${Date.now() - killedAt} ms after kill -9 of the server`)
    expect(storesOnDataDir()).toEqual([])
    const left = multipartLeftovers(s3Dir)
    expect(left.length).toBeGreaterThan(0) // what the crash left, for the next test
    console.log(`the crash left ${left.reduce((n, f) => n + fs.statSync(f).size, 0)} bytes of multipart parts in the store`)
  }, 180_000)

  it('the next start runs one store and leaves no multipart parts or staged objects of the crashed upload', async () => {
    const server = await start()
    storePid() // exactly one
    const db = await openDatabase(`file:${path.join(dataDir, 'stowage.db')}`)
    try {
      // The start does not assume it is alone: the crashed upload is taken once its lease (15 s here, no longer
      // renewed) has run out, by the collection the start schedules for then (lib/boot.ts), not at once.
      await waitFor(
        'the crashed upload to be collected',
        async () => multipartLeftovers(s3Dir).length === 0 && (await db.stagedObject.count()) === 0 && (await db.upload.count({ where: { state: 'failed' } })) === 1,
        120_000,
        500,
      )
      expect(multipartLeftovers(s3Dir)).toEqual([])
      expect(await db.stagedObject.count()).toBe(0)
      const interrupted = await db.upload.findMany({ where: { state: 'failed' }, select: { errorCode: true } })
      expect(interrupted.map((u) => u.errorCode)).toEqual(['INTERRUPTED'])
      // what is left is the committed blobs and the layer indexes built from them
      const blobKeys = (await db.blob.findMany({ select: { objectKey: true } })).map((b) => b.objectKey)
      const indexKeys = (await db.layerIndex.findMany({ where: { objectKey: { not: null } }, select: { objectKey: true } })).map((i) => i.objectKey!)
      expect(storedObjects(s3Dir).sort()).toEqual([...blobKeys, ...indexKeys].sort())
    } finally {
      await db.$disconnect()
    }
    // the image stored before the crash is intact
    const pulled = await server.fetch(`/v2/team/app/blobs/${kept.diffIds[0]}`)
    expect(pulled.status).toBe(200)
    expect(Buffer.from(await pulled.arrayBuffer()).equals(kept.layer)).toBe(true)
  }, 180_000)

  it('a store that dies alone is started again, and uploads then succeed', async () => {
    const server = servers[servers.length - 1]
    const before = storePid()
    process.kill(before, 'SIGKILL')
    await waitFor('the store to be restarted', () => /embedded S3 server restarted/.test(server.output()), 30_000)
    expect(storePid()).not.toBe(before)
    const { archive } = await makeDockerArchive({ repoTags: ['team/after:1.0'], layers: [await makeLayer(50_000)] })
    const res = await upload(server, archive)
    expect(res.status).toBe(201)
    expect(server.output()).toMatch(/embedded S3 server exited .*restarting it/)
  }, 120_000)

  it('kill -9 of the launcher (npm start) stops the server and its store too', async () => {
    const store = storePid()
    const serverPid = parentOf(store)
    const launcherPid = parentOf(serverPid)
    process.kill(launcherPid, 'SIGKILL')
    await waitFor('the server and its store to exit with the launcher', () => !isRunning(serverPid) && !isRunning(store), 10_000, 50)
    expect(storesOnDataDir()).toEqual([])
  }, 60_000)
})
