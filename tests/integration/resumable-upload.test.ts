// Resumable uploads over tus (lib/http/tus-routes.ts): a 200 MB archive whose connection is cut three
// times mid-PATCH gives the same image as an uninterrupted upload; the protocol's refusals (wrong
// offset, bytes past the length), cancel (staged objects deleted) and a corrupt archive (the same error
// as POST /api/uploads).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, it, expect, beforeAll } from 'vitest'
import { registryForTests, waitFor } from '../helpers/http-stack'
import { providers, snapshot } from '../helpers/stack'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { ZIP_HEAD } from '../helpers/stream-archive'
import { tusCreate, tusOffset, tusPatchFile, tusRequest, type TusAnswer } from '../helpers/tus-client'
import { ensureArchive, type GeneratedArchive } from '../../bench/generate-archive'
import { listen } from '../../lib/http/stowage-server'
import { sessionRegistry } from '../../lib/resumable/session-registry'

const MB = 1024 * 1024
/** the manifest digest of the 200 MB archive imported in one POST */
let uninterrupted: string | undefined
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-tus-'))

async function writeTemp(name: string, bytes: Buffer) {
  const file = path.join(tmp, name)
  fs.writeFileSync(file, bytes)
  return file
}

/** PATCHes until the server has every byte, re-asking the offset after each cut; the last answer. */
async function finishUpload(location: string, file: string): Promise<TusAnswer> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const offset = await tusOffset(location)
    const a = await tusPatchFile(location, file, offset)
    if (a !== 'cut' && a.status !== 409) return a
  }
  throw new Error('the upload did not finish in 10 attempts')
}

async function status(location: string) {
  const a = (await tusRequest(location, 'GET', {})) as TusAnswer
  return JSON.parse(a.body)
}

describe.each(providers)('resumable uploads (%s)', (provider) => {
  const reg = registryForTests(provider, { timeout: 120_000 })
  let big: GeneratedArchive
  beforeAll(async () => {
    big = await ensureArchive({ bytes: 200 * 1000 * 1000, label: '200M', seed: 'tus-cuts', dir: path.join(os.tmpdir(), 'stowage-test-archives') })
  }, 120_000)
  const endpoint = () => `${reg.url}/api/uploads/tus`

  it('announces tus 1.0.0 with creation and termination', async () => {
    const a = (await tusRequest(endpoint(), 'OPTIONS', {})) as TusAnswer
    expect(a.status).toBe(204)
    expect(a.headers['tus-version']).toBe('1.0.0')
    expect(a.headers['tus-extension']).toBe('creation,termination')
    expect(Number(a.headers['tus-max-size'])).toBeGreaterThan(0)
  })

  it('a 200 MB upload cut three times mid-PATCH gives the same image as an uninterrupted one', async () => {
    const size = big.bytes
    const location = await tusCreate(endpoint(), size, { filename: 'big.tar', repository: 'tus/cut', tag: 'v1' })
    const offsets: number[] = []
    let offset = 0
    for (const fraction of [0.2, 0.45, 0.7]) {
      const cut = Math.floor(size * fraction) - offset
      expect(await tusPatchFile(location, big.path, offset, { cutAfter: cut })).toBe('cut')
      // the server keeps every byte it handed to the import: wait until it saw the connection die
      offset = await waitFor(async () => {
        const st = await status(location)
        return st.state === 'receiving' && !st.attached && st.offset > offset && st.offset
      }, 'the offset after a cut')
      expect(await tusOffset(location)).toBe(offset)
      offsets.push(offset)
    }
    expect(offsets[0]).toBeGreaterThan(0.1 * size)
    expect(offsets[2]).toBeGreaterThan(offsets[1])
    const last = await finishUpload(location, big.path)
    expect(last.status, last.body).toBe(204)
    expect(Number(last.headers['upload-offset'])).toBe(size)
    const resumed = await status(location)
    expect(resumed.state).toBe('committed')
    expect(resumed.result.receivedBytes).toBe(size)

    // the same file in one POST (once per file run: both databases import the same archive to the same digest)
    uninterrupted ??= await (async () => {
      const post = await fetch(`${reg.url}/api/uploads?repository=tus/cut&tag=plain`, { method: 'POST', body: fs.createReadStream(big.path) as any, duplex: 'half' } as RequestInit)
      expect(post.status).toBe(201)
      return (await post.json()).images[0].manifestDigest as string
    })()
    expect(resumed.result.images[0].manifestDigest).toBe(uninterrupted)
    expect(resumed.result.images[0].configDigest).toBe(`sha256:${big.configDigest.replace(/^sha256:/, '')}`)
    expect((await snapshot(reg.stack)).staged).toBe(0)
  }, 90_000)

  it('refuses a PATCH at the wrong offset (409) and one past the length (413), and keeps going', async () => {
    const { archive } = await makeDockerArchive({ repoTags: ['tus/small:v1'], layers: [await makeLayer(300 * 1024)] })
    const file = await writeTemp(`small-${provider}.tar`, archive)
    const location = await tusCreate(endpoint(), archive.length, { filename: 'small.tar' })
    const wrong = (await tusPatchFile(location, file, 0, { headers: { 'Upload-Offset': '512' } })) as TusAnswer
    expect(wrong.status).toBe(409)
    expect(JSON.parse(wrong.body).error.code).toBe('OFFSET_MISMATCH')
    const beyond = (await tusRequest(location, 'PATCH', { 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': '0' }, Buffer.concat([archive, Buffer.alloc(1024)]))) as TusAnswer
    expect(beyond.status).toBe(413)
    expect(JSON.parse(beyond.body).error.code).toBe('BEYOND_LENGTH')
    const half = (await tusPatchFile(location, file, 0, { end: 100_000 })) as TusAnswer
    expect(half.status).toBe(204)
    expect(Number(half.headers['upload-offset'])).toBe(100_000)
    const rest = (await tusPatchFile(location, file, 100_000)) as TusAnswer
    expect(rest.status, rest.body).toBe(204)
    expect((await status(location)).result.tags[0]).toMatchObject({ repository: 'tus/small', tag: 'v1', status: 'created' })
  })

  it('cancel (DELETE) stops the import and deletes what it staged', async () => {
    const before = await snapshot(reg.stack)
    const { archive } = await makeDockerArchive({ repoTags: ['tus/cancelled:v1'], layers: [await makeLayer(12 * MB)] })
    const file = await writeTemp(`cancel-${provider}.tar`, archive)
    const location = await tusCreate(endpoint(), archive.length, { filename: 'cancel.tar' })
    const id = location.split('/').pop()!
    expect(((await tusPatchFile(location, file, 0, { end: 9 * MB })) as TusAnswer).status).toBe(204)
    await waitFor(async () => (await reg.stack.db.stagedObject.count({ where: { ownerId: id } })) > 0, 'a staged object')
    const del = (await tusRequest(location, 'DELETE', {})) as TusAnswer
    expect(del.status).toBe(204)
    const after = await snapshot(reg.stack)
    expect(after.staged).toBe(before.staged)
    expect(after.objects).toEqual(before.objects)
    expect(await reg.stack.db.upload.findUnique({ where: { id } })).toMatchObject({ state: 'failed', errorCode: 'CLIENT_ABORTED' })
    const late = (await tusPatchFile(location, file, 9 * MB)) as TusAnswer
    expect(late.status).toBe(400)
    expect(JSON.parse(late.body).error.code).toBe('CLIENT_ABORTED')
  })

  it('after a restart (new Services on the same database and bucket) continues from the checkpoint and gives the same image', async () => {
    const layers = [await makeLayer(2 * MB), await makeLayer(2 * MB), await makeLayer(2 * MB), await makeLayer(2 * MB)]
    const { archive } = await makeDockerArchive({ repoTags: ['tus/restart:v1'], layers })
    const file = await writeTemp(`restart-${provider}.tar`, archive)
    const location = await tusCreate(endpoint(), archive.length, { filename: 'restart.tar' })
    const id = location.split('/').pop()!
    const cut = Math.floor(archive.length * 0.8)
    expect(((await tusPatchFile(location, file, 0, { end: cut })) as TusAnswer).status).toBe(204)
    const checkpoint = await waitFor(async () => {
      const row = await reg.stack.db.resumableUpload.findUnique({ where: { id } })
      return row && Number(row.checkpointOffset) > 4 * MB && Number(row.checkpointOffset)
    }, 'a checkpoint past two layers')
    const successor = await listen({ ...reg.stack }, { port: 0, host: '127.0.0.1' })
    try {
      const there = `${successor.url}/api/uploads/tus/${id}`
      // while this instance receives it, another one does not take it over
      expect(((await tusRequest(there, 'HEAD', {})) as TusAnswer).status).toBe(423)
      // this instance stops: its import ends where it is, the staged layers stay
      await sessionRegistry(reg.stack).suspendAll()
      expect(await reg.stack.db.stagedObject.count({ where: { ownerId: id } })).toBeGreaterThan(0)
      const offset = await tusOffset(there)
      expect(offset).toBeGreaterThanOrEqual(checkpoint)
      expect(offset).toBeLessThanOrEqual(cut)
      const rest = (await tusPatchFile(there, file, offset)) as TusAnswer
      expect(rest.status, rest.body).toBe(204)
      const resumed = await status(there)
      expect(resumed.state).toBe('committed')
      const post = await fetch(`${reg.url}/api/uploads?repository=tus/restart&tag=plain`, { method: 'POST', body: new Uint8Array(archive) })
      const plain = await post.json()
      expect(resumed.result.images[0].manifestDigest).toBe(plain.images[0].manifestDigest)
      expect(resumed.result.receivedBytes).toBe(archive.length)
      expect(await reg.stack.db.stagedObject.count({ where: { ownerId: id } })).toBe(0)
      // every layer is readable and whole
      const tag = await (await fetch(`${reg.url}/api/repositories/tus/restart/tags/v1`)).json()
      expect(tag.digest).toBe(plain.images[0].manifestDigest)
    } finally {
      await successor.close()
    }
  })

  it('an upload nothing is sent to for the idle time is cancelled and its staged layers deleted', async () => {
    const settings = sessionRegistry(reg.stack).settings
    const idleMs = settings.idleMs
    settings.idleMs = 400
    try {
      const { archive } = await makeDockerArchive({ repoTags: ['tus/idle:v1'], layers: [await makeLayer(3 * MB)] })
      const file = await writeTemp(`idle-${provider}.tar`, archive)
      const location = await tusCreate(endpoint(), archive.length, { filename: 'idle.tar' })
      const id = location.split('/').pop()!
      expect(((await tusPatchFile(location, file, 0, { end: 2 * MB })) as TusAnswer).status).toBe(204)
      const failed = await waitFor(async () => {
        const s = await status(location)
        return s.state === 'failed' && s
      }, 'the idle upload to be cancelled')
      expect(failed.error.code).toBe('CLIENT_IDLE')
      expect(failed.error.message).toContain('STOWAGE_RESUMABLE_IDLE_SECONDS')
      expect(await reg.stack.db.stagedObject.count({ where: { ownerId: id } })).toBe(0)
    } finally {
      settings.idleMs = idleMs
    }
  })

  it('a corrupt archive gets the same error as POST /api/uploads', async () => {
    const zip = Buffer.concat([ZIP_HEAD, Buffer.alloc(4096, 1)])
    const file = await writeTemp(`zip-${provider}.tar`, zip)
    const post = await fetch(`${reg.url}/api/uploads`, { method: 'POST', body: new Uint8Array(zip) })
    const expected = await post.json()
    const location = await tusCreate(endpoint(), zip.length, { filename: 'x.tar' })
    const a = (await tusPatchFile(location, file, 0)) as TusAnswer
    expect(a.status).toBe(post.status)
    expect(JSON.parse(a.body)).toEqual(expected)
    expect((await status(location)).error).toEqual(expected.error)
  })
})
