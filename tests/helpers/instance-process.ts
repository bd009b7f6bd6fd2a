// Starts tests/helpers/instance-child.ts (a real Stowage process without the console) with the given
// environment on 127.0.0.1 and a random port, and keeps its output (JSON log lines) for the test.
// Compiled first, as `npm start` compiles the server (scripts/build-server.mjs), with its child scripts
// (migrations, embedded S3): through tsx every instance would transpile the whole server at start.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { randomBytes } from 'node:crypto'
import { build } from 'esbuild'

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, '../..')

/**
 * The compiled instance. Its folder is directly under the repository root (lib/paths.ts finds the root as
 * the compiled file's parent folder) and of this process only (test files run in parallel); removed at exit.
 */
let compiled: Promise<string> | null = null
function compiledInstance(): Promise<string> {
  return (compiled ??= (async () => {
    const name = `.stowage-cluster-${randomBytes(4).toString('hex')}`
    const outdir = path.join(root, name)
    process.once('exit', () => fs.rmSync(outdir, { recursive: true, force: true }))
    await build({
      absWorkingDir: root,
      entryPoints: { 'instance-child': 'tests/helpers/instance-child.ts', migrate: 'scripts/migrate.ts', 'embedded-s3': 'lib/storage/embedded-s3-main.ts' },
      outdir,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'warning',
      // lib/child-script.ts then runs the compiled child scripts of STOWAGE_SERVER_DIR
      define: { 'process.env.STOWAGE_COMPILED': '"1"' },
    })
    return name
  })())
}

export type InstanceProcess = { url: string; host: string; port: number; pid: number; output: () => string; stop(): Promise<void> }

export async function startInstanceProcess(env: Record<string, string>, opts: { startTimeoutMs?: number } = {}): Promise<InstanceProcess> {
  const serverDir = await compiledInstance()
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-instance-'))
  const childEnv: NodeJS.ProcessEnv = { ...process.env, PORT: '0', HOST: '127.0.0.1', STOWAGE_DATA_DIR: dataDir, STOWAGE_SERVER_DIR: serverDir, ...env }
  // only what the test gives: never the developer's shell settings
  for (const k of ['DATABASE_URL', 'REDIS_URL', 'S3_ENDPOINT', 'S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'S3_REGION', 'STOWAGE_DEV']) if (!(k in env)) delete childEnv[k]
  const child = spawn(process.execPath, [path.join(root, serverDir, 'instance-child.mjs')], { cwd: root, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (c) => (output += c))
  child.stderr!.on('data', (c) => (output += c))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const killed = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(killed)
    }
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timeoutMs = opts.startTimeoutMs ?? 60_000
      const timer = setTimeout(() => reject(new Error(`the instance did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs)
      child.stdout!.on('data', () => {
        const m = /Stowage listening on (http:\/\/[^\s]+)/.exec(output)
        if (m) {
          clearTimeout(timer)
          resolve(m[1])
        }
      })
      void exited.then(() => {
        clearTimeout(timer)
        reject(new Error(`the instance exited during start (code ${child.exitCode}):\n${output}`))
      })
    })
    const port = Number(new URL(url).port)
    return { url, host: `127.0.0.1:${port}`, port, pid: child.pid!, output: () => output, stop }
  } catch (e) {
    await stop()
    throw e
  }
}
