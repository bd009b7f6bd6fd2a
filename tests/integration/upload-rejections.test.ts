// A rejected upload reaches the client as its JSON error, wherever in the body the problem is found
// (first bytes, middle, end) and however big the body (10 KB, 200 MB): curl and Node's fetch (undici)
// against the real HTTP server. Nothing is staged afterwards and the upload is recorded as failed.
// The 100-200 MB bodies run on SQLite only: what they add is the HTTP streaming (the same on either
// database); PostgreSQL gets the 10 KB cases, which take the same failure record and staged-object cleanup
// path (their tar cases stage a layer before the bad entry, as the big ones do).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startStack, snapshot, providers, type Stack } from '../helpers/stack'
import { listen, type RunningServer } from '../../lib/http/stowage-server'
import { writeTarFile, writeRawFile, ZIP_HEAD } from '../helpers/stream-archive'

const MB = 1024 * 1024
const NOT_JSON = Buffer.from('{"this is": not json')

type Case = { name: string; status: number; code: string; build(file: string): Promise<number>; big?: true }

const cases: Case[] = [
  // found in the first bytes
  { name: '10 KB zip', status: 415, code: 'NOT_A_TAR', build: (f) => writeRawFile(f, ZIP_HEAD, 10 * 1024) },
  { name: '200 MB zip', big: true, status: 415, code: 'NOT_A_TAR', build: (f) => writeRawFile(f, ZIP_HEAD, 200 * MB) },
  // found in the middle
  {
    name: '10 KB tar whose 2nd entry climbs out with ".."',
    status: 422,
    code: 'ENTRY_PATH_INVALID',
    build: (f) => writeTarFile(f, [{ name: 'a/layer.tar', size: 3000 }, { name: '../evil', size: 100 }, { name: 'b/layer.tar', size: 3000 }]),
  },
  {
    name: '200 MB tar whose 2nd entry climbs out with ".." after a 100 MB layer',
    big: true,
    status: 422,
    code: 'ENTRY_PATH_INVALID',
    build: (f) => writeTarFile(f, [{ name: 'a/layer.tar', size: 100 * MB }, { name: '../evil', size: 100 }, { name: 'b/layer.tar', size: 100 * MB }]),
  },
  {
    name: '200 MB tar with the same entry twice, the 2nd after 100 MB',
    big: true,
    status: 422,
    code: 'DUPLICATE_ENTRY',
    build: (f) => writeTarFile(f, [{ name: 'a/layer.tar', size: 100 * MB }, { name: 'a/layer.tar', size: 100 * MB }]),
  },
  {
    name: '200 MB tar whose first entry is larger than the layer limit (150 MiB)',
    big: true,
    status: 413,
    code: 'LAYER_TOO_LARGE',
    build: (f) => writeTarFile(f, [{ name: 'a/layer.tar', size: 200 * MB }]),
  },
  {
    name: '105 MB tar whose first entry is a 5 MiB manifest.json (JSON limit 4 MiB)',
    big: true,
    status: 413,
    code: 'JSON_TOO_LARGE',
    build: (f) => writeTarFile(f, [{ name: 'manifest.json', size: 5 * MB }, { name: 'a/layer.tar', size: 100 * MB }]),
  },
  {
    name: '100 MB tar with more entries than allowed (50) before its layer',
    big: true,
    status: 422,
    code: 'TOO_MANY_ENTRIES',
    build: (f) => writeTarFile(f, [...Array.from({ length: 60 }, (_, i) => ({ name: `f${i}`, size: 10 })), { name: 'a/layer.tar', size: 100 * MB }]),
  },
  // found at the end
  {
    name: '10 KB tar whose manifest.json at the end is not JSON',
    status: 422,
    code: 'JSON_INVALID',
    build: (f) => writeTarFile(f, [{ name: 'a/layer.tar', size: 8000 }, { name: 'manifest.json', data: NOT_JSON }]),
  },
  {
    name: '200 MB tar whose manifest.json at the end is not JSON',
    big: true,
    status: 422,
    code: 'JSON_INVALID',
    build: (f) => writeTarFile(f, [{ name: 'a/layer.tar', size: 100 * MB }, { name: 'b/layer.tar', size: 100 * MB }, { name: 'manifest.json', data: NOT_JSON }]),
  },
]

type Answer = { status: number; body: string; transportError?: string }

/** `curl -sS --data-binary @file`, as the README tells API users to upload. */
function curlUpload(url: string, file: string): Promise<Answer> {
  return new Promise((resolve) => {
    const args = ['-sS', '-X', 'POST', '-H', 'Content-Type: application/octet-stream', '--data-binary', `@${file}`, '-w', '\n%{http_code}', url]
    const child = spawn('curl', args)
    let out = ''
    let err = ''
    child.stdout.on('data', (c) => (out += c))
    child.stderr.on('data', (c) => (err += c))
    child.on('exit', (code) => {
      const nl = out.lastIndexOf('\n')
      resolve({ status: Number(out.slice(nl + 1)), body: out.slice(0, nl), transportError: code ? `curl exit ${code}: ${err.trim()}` : undefined })
    })
  })
}

/** Node's fetch (undici) with the file as a Blob body (sent with its Content-Length). */
async function fetchUpload(url: string, file: string): Promise<Answer> {
  try {
    const res = await fetch(url, { method: 'POST', body: await fs.openAsBlob(file), headers: { 'Content-Type': 'application/octet-stream' } })
    return { status: res.status, body: await res.text() }
  } catch (e) {
    const cause = (e as any).cause
    return { status: 0, body: '', transportError: `${(e as Error).message}: ${cause?.code ?? cause?.message ?? ''}` }
  }
}

const clients = { curl: curlUpload, fetch: fetchUpload }

// the case files, written once for both databases
let dir: string
const files = new Map<string, string>()
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-rejections-'))
  for (const [i, c] of cases.entries()) {
    const file = path.join(dir, `case-${i}.bin`)
    await c.build(file)
    files.set(c.name, file)
  }
})
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

describe.each(providers)('rejected uploads reach the client (%s)', (provider) => {
  let stack: Stack
  let server: RunningServer

  beforeAll(async () => {
    stack = await startStack(provider, { maxLayerBytes: 150 * MB, maxEntries: 50 })
    server = await listen(stack, { port: 0, host: '127.0.0.1' })
  })
  afterAll(async () => {
    await server?.close()
    await stack?.close()
  })

  for (const c of cases.filter((c) => provider === 'sqlite' || !c.big)) {
    for (const [client, send] of Object.entries(clients)) {
      it(`${client}: ${c.name} → ${c.status} ${c.code}`, async () => {
        const before = await snapshot(stack)
        const failedBefore = await stack.db.upload.count({ where: { state: 'failed', errorCode: c.code } })
        const answer = await send(`${server.url}/api/uploads?filename=${encodeURIComponent(c.name)}`, files.get(c.name)!)
        expect(answer.transportError, 'the client saw an answer, not a broken connection').toBeUndefined()
        expect(answer.status).toBe(c.status)
        expect(JSON.parse(answer.body)).toEqual({ error: { code: c.code, message: expect.any(String) } })
        // the rejection left nothing staged or stored, and the failure is recorded with its code
        expect(await snapshot(stack)).toEqual(before)
        expect(await stack.db.upload.count({ where: { state: 'failed', errorCode: c.code } })).toBe(failedBefore + 1)
        // the server keeps answering
        expect((await fetch(`${server.url}/api/repositories`)).status).toBe(200)
      })
    }
  }
})
