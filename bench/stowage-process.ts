// Runs Stowage the way `npm start` runs it (scripts/start.mjs compiles the server and runs it in a child
// node process, which starts the embedded s3rver in its own process) and finds the processes to measure.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import crypto from 'node:crypto'
import { commandLine, descendants } from './proc-stats'
import { externalS3, embeddedS3, freshBucketName, deleteBucket, localListenerPid, type S3Endpoint } from './s3-target'

/**
 * The administrator every benchmark server starts with (STOWAGE_ADMIN_PASSWORD), and the header its
 * requests carry: Stowage enforces access, and a benchmark measures the server as users run it.
 */
export const BENCH_ADMIN = { user: 'admin', password: crypto.randomBytes(18).toString('base64url') }
export const benchAuthorization = `Basic ${Buffer.from(`${BENCH_ADMIN.user}:${BENCH_ADMIN.password}`).toString('base64')}`

export type StowageProcess = {
  url: string
  s3Endpoint: string
  /** the S3 the server uses, with its bucket and credentials (raw baselines talk to the same) */
  s3: S3Endpoint
  /** S3_ENDPOINT was set: an external S3 with a bucket of this run's own (deleted by stop()) */
  externalS3: boolean
  /** the node process executing the compiled server (not the start.mjs launcher) */
  serverPid: number
  /** the S3 server process (embedded s3rver, or the local listener of S3_ENDPOINT, e.g. radosgw); 0 = not on this machine */
  s3Pid: number
  launcherPid: number
  output(): string
  stop(): Promise<void>
}

const START_TIMEOUT_MS = 120_000

/** Builds the Next.js console if no production build exists (server.ts refuses to start without one). */
export function ensureNextBuild(root: string, log: (m: string) => void) {
  if (fs.existsSync(path.join(root, '.next', 'BUILD_ID'))) return
  log('no .next/BUILD_ID: running `next build` first')
  const r = spawnSync(path.join(root, 'node_modules', '.bin', 'next'), ['build'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
  })
  if (r.status !== 0) throw new Error(`next build failed (exit ${r.status})`)
}

/**
 * Starts Stowage with its data in dataDir. Database: SQLite under dataDir unless extraEnv gives DATABASE_URL.
 * S3: the embedded s3rver, or with S3_ENDPOINT (and its keys) in this process's environment that S3 with a
 * fresh bucket, which stop() empties and deletes.
 */
export async function startStowage(root: string, dataDir: string, extraEnv: Record<string, string> = {}): Promise<StowageProcess> {
  const base: NodeJS.ProcessEnv = { ...process.env }
  // a DATABASE_URL of the caller's shell must not point a benchmark server at a real database
  for (const name of ['DATABASE_URL', 'S3_ENDPOINT', 'S3_BUCKET', 'STOWAGE_DEV']) delete base[name]
  const external = externalS3()
  const bucket = external ? freshBucketName(path.basename(dataDir)) : 'layers'
  const s3Env: Record<string, string> = external
    ? { S3_ENDPOINT: external.endpoint, S3_BUCKET: bucket, S3_REGION: external.region, S3_ACCESS_KEY_ID: external.accessKeyId, S3_SECRET_ACCESS_KEY: external.secretAccessKey, S3_FORCE_PATH_STYLE: String(external.forcePathStyle) }
    : {}
  const env: NodeJS.ProcessEnv = { ...base, ...s3Env, ...extraEnv, STOWAGE_DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0', NEXT_TELEMETRY_DISABLED: '1', STOWAGE_ADMIN_USER: BENCH_ADMIN.user, STOWAGE_ADMIN_PASSWORD: BENCH_ADMIN.password }
  const launcher = spawn(process.execPath, [path.join(root, 'scripts', 'start.mjs')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const exited = new Promise<number | null>((resolve) => launcher.once('exit', (code) => resolve(code)))

  const { url, s3Endpoint } = await new Promise<{ url: string; s3Endpoint: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Stowage did not start within ${START_TIMEOUT_MS / 1000} s:\n${output}`)), START_TIMEOUT_MS)
    const onData = (d: Buffer) => {
      output += d.toString()
      const listening = /Stowage listening on (http:\/\/\S+)/.exec(output)
      const s3 = external ? [external.endpoint, external.endpoint] : /embedded S3 server at (http:\/\/\S+)/.exec(output)
      if (listening && s3) {
        clearTimeout(timer)
        resolve({ url: listening[1], s3Endpoint: s3[1] })
      }
    }
    launcher.stdout!.on('data', onData)
    launcher.stderr!.on('data', onData)
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`Stowage exited during start-up (code ${code}):\n${output}`))
    })
  })

  const tree = descendants(launcher.pid!)
  const serverPid = tree.find((p) => /\/server\.mjs\b/.test(commandLine(p))) ?? launcher.pid!
  const s3Pid = external ? localListenerPid(external.endpoint) : tree.find((p) => /\/embedded-s3\.mjs\b/.test(commandLine(p)))
  if (s3Pid === undefined) throw new Error(`could not find the embedded s3rver process among ${tree.join(', ')}`)
  const s3 = external ? { ...external, bucket } : embeddedS3(s3Endpoint)

  return {
    url,
    s3Endpoint,
    s3,
    externalS3: Boolean(external),
    serverPid,
    s3Pid,
    launcherPid: launcher.pid!,
    output: () => output,
    async stop() {
      const all = [launcher.pid!, ...descendants(launcher.pid!)].map((pid) => ({ pid, cmd: commandLine(pid) }))
      launcher.kill('SIGTERM') // the launcher relays it; the server shuts s3rver down
      const timeout = new Promise((r) => setTimeout(r, 20_000).unref())
      await Promise.race([exited, timeout])
      // Whatever of ours is still alive after a graceful stop is ended by its pid (if the pid was not reused).
      for (const { pid, cmd } of all) {
        if (commandLine(pid) !== cmd) continue
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          // already gone
        }
      }
      if (external) await deleteBucket(s3)
    },
  }
}

/**
 * A pull-only access token of the benchmark's administrator, as `Authorization: Bearer stw_…`: pulls carry
 * a token as docker's and skopeo's do (checking it is a hash and a lookup), not a password (an argon2id
 * check of ~13 ms and 19 MiB per request would be measured as the registry's cost).
 */
export async function pullAuthorization(url: string): Promise<string> {
  const res = await fetch(`${url}/api/tokens`, {
    method: 'POST',
    headers: { Authorization: benchAuthorization, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'bench pulls', organization: null, access: 'pull', expiresAt: null }),
  })
  if (res.status !== 201) throw new Error(`creating the benchmark's access token answered ${res.status}: ${await res.text()}`)
  return `Bearer ${((await res.json()) as { token: string }).token}`
}
