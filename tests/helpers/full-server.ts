// The real Stowage process, started as `npm start` starts it (scripts/start.mjs: compiled server), with a
// fresh data directory (embedded S3 server + SQLite), on an ephemeral port, serving the console build in
// STOWAGE_NEXT_DIST_DIR (default .next; `npm test` builds into .next-test, see scripts/test.mjs).
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

export type FullServer = { url: string; host: string; dataDir: string; output: () => string; stop(): Promise<void> }

export async function startFullServer(opts: { env?: Record<string, string>; startTimeoutMs?: number } = {}): Promise<FullServer> {
  const distDir = process.env.STOWAGE_NEXT_DIST_DIR || '.next'
  if (!fs.existsSync(path.join(root, distDir, 'BUILD_ID'))) {
    throw new Error(`The console has no production build (${distDir}/BUILD_ID is missing): run \`npx next build\` first (\`npm test\` does it).`)
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-browser-'))
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', HOST: '127.0.0.1', STOWAGE_DATA_DIR: dataDir, NEXT_TELEMETRY_DISABLED: '1', STOWAGE_NEXT_DIST_DIR: distDir, STOWAGE_REBUILD: '0', ...opts.env }
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

  return {
    url,
    host: new URL(url).host,
    dataDir,
    output: () => output,
    async stop() {
      await stopGroup(child)
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
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
