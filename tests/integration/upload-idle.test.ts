// The HTTP front door around uploads: a body that stops arriving is cut after the idle time and cleaned
// up like a disconnect (CLIENT_IDLE), a slow but steady one is not; after a rejection the rest of the
// body is drained up to STOWAGE_REJECT_DRAIN_BYTES; every request is logged in one line.
import http from 'node:http'
import net from 'node:net'
import { once } from 'node:events'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { registryForTests, waitFor } from '../helpers/http-stack'
import { snapshot, providers } from '../helpers/stack'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { ZIP_HEAD } from '../helpers/stream-archive'
import { listen, type RunningServer } from '../../lib/http/stowage-server'

/** The parsed JSON request lines (lib/ops/exchange.ts) matching `fields`. */
const requestLines = (lines: string[], fields: Record<string, unknown>) =>
  lines.map((l) => JSON.parse(l)).filter((r) => r.msg === 'request' && Object.entries(fields).every(([k, v]) => r[k] === v))

const MB = 1024 * 1024
const IDLE_MS = 1500

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Sends a request body over a raw socket, reading whatever the server answers meanwhile. */
async function rawUpload(url: string, declared: number, body: AsyncIterable<Buffer>) {
  const { hostname, port } = new URL(url)
  const socket = net.connect(Number(port), hostname)
  await once(socket, 'connect')
  let answer = ''
  let error: Error | null = null
  socket.on('data', (c) => (answer += c))
  socket.on('error', (e) => (error = e))
  const closed = once(socket, 'close').catch(() => {})
  socket.write(`POST /api/uploads HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${declared}\r\n\r\n`)
  let sent = 0
  for await (const chunk of body) {
    if (error || socket.destroyed) break
    const ok = socket.write(chunk)
    sent += chunk.length
    if (!ok) await Promise.race([once(socket, 'drain').catch(() => {}), closed])
  }
  await closed
  return { sent, answer, error: error as Error | null }
}

async function* zipBody(total: number) {
  yield ZIP_HEAD
  const block = Buffer.alloc(256 * 1024, 7)
  for (let left = total - ZIP_HEAD.length; left > 0; left -= block.length) yield left >= block.length ? block : block.subarray(0, left)
}

describe.each(providers)('upload connections (%s)', (provider) => {
  const lines: string[] = []
  const reg = registryForTests(provider, { services: (stack) => ({ ...stack, http: { uploadIdleMs: IDLE_MS } }), log: (l) => lines.push(l) })
  // a second server on the same stack, draining at most 1 MB after a rejection (closed before the stack)
  let bounded: RunningServer
  beforeAll(async () => {
    bounded = await listen({ ...reg.stack, http: { uploadIdleMs: IDLE_MS, rejectDrainBytes: 1 * MB } }, { port: 0, host: '127.0.0.1' })
  })
  afterAll(async () => {
    await bounded?.close()
  })

  it('closes an upload that announced 5 GB and sent a few bytes, and records CLIENT_IDLE', async () => {
    const before = await snapshot(reg.stack)
    const req = http.request(`${reg.url}/api/uploads?filename=idle.tar`, { method: 'POST', headers: { 'Content-Length': String(5 * 1000 ** 3) } })
    const gone = new Promise<string>((resolve) => {
      req.on('error', (e) => resolve((e as any).code ?? e.message))
      req.on('response', (res) => resolve(`answered ${res.statusCode}`))
    })
    req.write(Buffer.alloc(100, 1))
    expect(await gone).toMatch(/ECONNRESET|socket hang up/)
    const failed = await waitFor(() => reg.stack.db.upload.findFirst({ where: { filename: 'idle.tar', state: 'failed' } }), 'the upload to fail')
    expect(failed.errorCode).toBe('CLIENT_IDLE')
    expect(failed.errorMessage).toContain('1.5 s')
    expect(await snapshot(reg.stack)).toEqual(before)
    await waitFor(async () => requestLines(lines, { method: 'POST', route: '/api/uploads', status: null, code: 'CLIENT_IDLE', incomplete: true }).length > 0, `the log line in:\n${lines.join('\n')}`)
  })

  it('closes an upload that stops in the middle of a layer and deletes what it staged', async () => {
    const { archive } = await makeDockerArchive({ repoTags: ['idle/image:1'], layers: [await makeLayer(24 * MB)] })
    const before = await snapshot(reg.stack)
    const req = http.request(`${reg.url}/api/uploads?filename=idle-layer.tar`, { method: 'POST', headers: { 'Content-Length': String(archive.length) } })
    const gone = new Promise<void>((resolve) => req.on('error', () => resolve()))
    req.write(archive.subarray(0, 12 * MB))
    const upload = await waitFor(() => reg.stack.db.upload.findFirst({ where: { filename: 'idle-layer.tar', state: 'receiving' } }), 'the upload to start')
    await waitFor(() => reg.stack.db.stagedObject.count({ where: { ownerId: upload.id } }), 'a staged object')
    await gone // nothing more is sent: the server closes the connection
    const failed = await waitFor(() => reg.stack.db.upload.findFirst({ where: { id: upload.id, state: 'failed' } }), 'the upload to fail')
    expect(failed.errorCode).toBe('CLIENT_IDLE')
    expect(await snapshot(reg.stack)).toEqual(before)
  })

  it('closes an idle registry push (PATCH of a blob upload session) the same way', async () => {
    const start = await fetch(`${reg.url}/v2/idle/push/blobs/uploads/`, { method: 'POST' })
    expect(start.status).toBe(202)
    const location = new URL(start.headers.get('location')!, reg.url)
    const req = http.request(location, { method: 'PATCH', headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(1000 ** 3) } })
    const gone = new Promise<string>((resolve) => {
      req.on('error', (e) => resolve((e as any).code ?? e.message))
      req.on('response', (res) => resolve(`answered ${res.statusCode}`))
    })
    req.write(Buffer.alloc(1000, 1))
    expect(await gone).toMatch(/ECONNRESET|socket hang up/)
  })

  it('keeps a slow upload open as long as bytes keep coming, however long it takes', async () => {
    const { archive } = await makeDockerArchive({ repoTags: ['slow/image:1'], layers: [await makeLayer(64 * 1024)] })
    const res = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${reg.url}/api/uploads`, { method: 'POST', headers: { 'Content-Length': String(archive.length) } }, (r) => {
        let body = ''
        r.on('data', (c) => (body += c))
        r.on('end', () => resolve({ status: r.statusCode!, body }))
      })
      req.on('error', reject)
      ;(async () => {
        // 8 pieces, one every half idle time: the whole upload lasts well past the idle time
        const piece = Math.ceil(archive.length / 8)
        for (let i = 0; i < archive.length; i += piece) {
          req.write(archive.subarray(i, i + piece))
          await sleep(IDLE_MS / 2)
        }
        req.end()
      })()
    })
    const answer = await res
    expect(answer.status).toBe(201)
    expect(JSON.parse(answer.body).tags[0]).toMatchObject({ repository: 'slow/image', tag: '1' })
  })

  // the two drain tests (48 MB, 256 MB bodies) are the HTTP layer alone, the same on either database: SQLite only
  it.runIf(provider === 'sqlite')('reads the whole body after an early rejection, then answers (no drain bound)', async () => {
    const total = 48 * MB
    const r = await rawUpload(reg.url, total, zipBody(total))
    expect(r.sent).toBe(total)
    expect(r.answer).toMatch(/^HTTP\/1\.1 415 /)
    expect(r.answer).toContain('Connection: close')
    expect(r.answer).toContain('"code":"NOT_A_TAR"')
    await waitFor(async () => requestLines(lines, { method: 'POST', path: '/api/uploads', status: 415, code: 'NOT_A_TAR', bytesIn: total }).length > 0, 'the log line')
  })

  it.runIf(provider === 'sqlite')('stops reading past STOWAGE_REJECT_DRAIN_BYTES and closes the connection', async () => {
    const total = 256 * MB
    const r = await rawUpload(bounded.url, total, zipBody(total))
    // socket buffers hold a few MB at most: the server stopped reading long before the end
    expect(r.sent).toBeLessThan(total)
    expect(r.error).not.toBeNull()
  })

  it('logs one JSON line per request, without the query', async () => {
    await fetch(`${reg.url}/api/repositories?q=secret-token`)
    await waitFor(async () => requestLines(lines, { method: 'GET', path: '/api/repositories', route: '/api/repositories', status: 200 }).length > 0, 'the log line')
    expect(lines.join('\n')).not.toContain('secret-token')
  })
})
