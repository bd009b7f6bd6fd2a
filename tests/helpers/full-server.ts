// The real Stowage process, started as `npm start` starts it (scripts/start.mjs: compiled server), with a
// fresh data directory (embedded S3 server + SQLite), on an ephemeral port, serving the console build in
// STOWAGE_NEXT_DIST_DIR (default .next; `npm test` builds into .next-test, see scripts/test.mjs).
// It enforces access like any real start: it creates the administrator ADMIN_USER/ADMIN_PASSWORD
// (STOWAGE_ADMIN_PASSWORD) and signs in once; `fetch` sends the administrator's credentials and
// `session` (its cookie) is for browser contexts (browser.ts). `setup: true` starts without an administrator
// (first start: the setup link is in `output()`).
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

export const ADMIN_USER = 'admin'
export const ADMIN_PASSWORD = 'browser-tests-admin-password'
/** `Authorization` of the administrator, for Node-side requests to /api/ and /v2/. */
export const adminAuth = `Basic ${Buffer.from(`${ADMIN_USER}:${ADMIN_PASSWORD}`).toString('base64')}`

export type FullServer = {
  url: string
  host: string
  dataDir: string
  output: () => string
  /** the administrator's session (null with `setup: true`): name and value of the cookie */
  session: { name: string; value: string } | null
  /** fetch(url + path) as the administrator (Authorization for /api and /v2, the session cookie for pages) */
  fetch(path: string, init?: RequestInit): Promise<Response>
  stop(): Promise<void>
}

export async function startFullServer(opts: { env?: Record<string, string>; startTimeoutMs?: number; setup?: boolean } = {}): Promise<FullServer> {
  const distDir = process.env.STOWAGE_NEXT_DIST_DIR || '.next'
  if (!fs.existsSync(path.join(root, distDir, 'BUILD_ID'))) {
    throw new Error(`The console has no production build (${distDir}/BUILD_ID is missing): run \`npx next build\` first (\`npm test\` does it).`)
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-browser-'))
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', HOST: '127.0.0.1', STOWAGE_DATA_DIR: dataDir, NEXT_TELEMETRY_DISABLED: '1', STOWAGE_NEXT_DIST_DIR: distDir, STOWAGE_REBUILD: '0', ...(opts.setup ? {} : { STOWAGE_ADMIN_USER: ADMIN_USER, STOWAGE_ADMIN_PASSWORD: ADMIN_PASSWORD }), ...opts.env }
  if (opts.setup) delete env.STOWAGE_ADMIN_PASSWORD
  // The server must use its own embedded storage and database, whatever the developer's shell sets.
  for (const k of ['DATABASE_URL', 'S3_ENDPOINT', 'S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'STOWAGE_DEV']) if (!opts.env?.[k]) delete env[k]

  // Own process group: stopping it also stops the launcher's server process and the embedded S3 server.
  const child = spawn(process.execPath, [path.join(root, 'scripts', 'start.mjs')], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (c) => (output += c))
  child.stderr!.on('data', (c) => (output += c))

  let url: string
  try {
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Stowage did not start within ${opts.startTimeoutMs ?? 90_000} ms:\n${output}`)), opts.startTimeoutMs ?? 90_000)
      const onData = () => {
        const m = /Stowage listening on (http:\/\/[^\s]+)/.exec(output)
        if (m) {
          clearTimeout(timer)
          resolve(m[1])
        }
      }
      child.stdout!.on('data', onData)
      child.once('exit', (code, signal) => {
        clearTimeout(timer)
        reject(new Error(`Stowage exited during start (code ${code}, signal ${signal}):\n${output}`))
      })
    })
  } catch (e) {
    await stopGroup(child)
    fs.rmSync(dataDir, { recursive: true, force: true })
    throw e
  }

  let session: FullServer['session'] = null
  try {
    if (!opts.setup) session = await signIn(url)
  } catch (e) {
    await stopGroup(child)
    fs.rmSync(dataDir, { recursive: true, force: true })
    throw e
  }
  return {
    url,
    host: new URL(url).host,
    dataDir,
    output: () => output,
    session,
    fetch(p, init = {}) {
      const headers = new Headers(init.headers)
      if (!opts.setup && !headers.has('authorization')) headers.set('authorization', adminAuth)
      if (session && !headers.has('cookie')) headers.set('cookie', `${session.name}=${session.value}`)
      return fetch(url + p, { ...init, headers })
    },
    async stop() {
      await stopGroup(child)
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** POST /api/session as the administrator: the session cookie of the answer. */
async function signIn(url: string): Promise<{ name: string; value: string }> {
  const res = await fetch(`${url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: ADMIN_USER, password: ADMIN_PASSWORD }) })
  const cookie = /^([^=;\s]+)=([^;]*)/.exec(res.headers.get('set-cookie') ?? '')
  if (res.status !== 200 || !cookie) throw new Error(`signing in as ${ADMIN_USER} failed: ${res.status} ${await res.text()}`)
  return { name: cookie[1], value: cookie[2] }
}

async function stopGroup(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, s)
    } catch {
      // already gone
    }
  }
  signal('SIGTERM')
  const killed = setTimeout(() => signal('SIGKILL'), 10_000)
  await exited
  clearTimeout(killed)
  // anything left in the group (the embedded S3 server) goes too
  signal('SIGKILL')
}
