// The embedded default: s3rver in its own process, data under DATA_DIR/s3, kept across restarts.
// Its own process keeps its CPU work (it rewrites objects on multipart completion) off our event loop.
//
// Supervised so that there is always exactly one, and only while Stowage runs:
// - it dies with Stowage, even after kill -9: it exits when its stdin (a pipe from us) closes, which the
//   kernel does when our process dies, and when its parent process changes (embedded-s3-main.ts);
// - a stale one from a crashed run is killed before a new one starts (it records its pid in
//   DATA_DIR/embedded-s3.pid), so two never share the directory;
// - if it dies alone it is started again on the same port (the S3 client keeps its endpoint), after a
//   growing delay while it keeps failing.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { childScriptArgs } from '../child-script'
import { freePort } from '../free-port'

export type EmbeddedS3 = {
  endpoint: string
  /** pid of our child process (the store, or under tsx a launcher around it); null while restarting */
  pid(): number | null
  /** how many times it was started again after dying */
  restarts(): number
  stop(): Promise<void>
}

export type EmbeddedS3Options = {
  port?: number
  log?: (message: string) => void
  /** called each time a restarted store accepts requests again */
  onRestarted?: () => void
  /** delays before restart attempts, the last one repeating (ms) */
  restartDelaysMs?: number[]
}

const DEFAULT_RESTART_DELAYS_MS = [200, 500, 1000, 2000, 5000, 10_000]
/** Running this long counts as healthy again: the next death restarts after the shortest delay. */
const STABLE_AFTER_MS = 60_000
const START_TIMEOUT_MS = 20_000

export const embeddedS3PidFile = (dataDir: string) => path.join(dataDir, 'embedded-s3.pid')

export async function startEmbeddedS3(dataDir: string, bucket: string, opts: EmbeddedS3Options = {}): Promise<EmbeddedS3> {
  const dir = path.join(dataDir, 's3')
  fs.mkdirSync(dir, { recursive: true })
  const pidFile = embeddedS3PidFile(dataDir)
  const log = opts.log ?? ((m: string) => console.log(m))
  const delays = opts.restartDelaysMs ?? DEFAULT_RESTART_DELAYS_MS
  await killStaleStore(pidFile, dir, log)

  const port = opts.port ?? (await freePort())
  let child: ChildProcess | null = await launch(dir, port, bucket, pidFile)
  let stopping = false
  let restarts = 0
  let failures = 0
  let startedAt = Date.now()
  let timer: NodeJS.Timeout | null = null

  const supervise = (c: ChildProcess) => {
    c.once('exit', (code, signal) => {
      if (stopping || child !== c) return
      child = null
      if (Date.now() - startedAt > STABLE_AFTER_MS) failures = 0
      scheduleRestart(`the embedded S3 server exited (${signal ?? `code ${code}`})`)
    })
  }
  const scheduleRestart = (why: string) => {
    const delay = delays[Math.min(failures, delays.length - 1)]
    failures++
    log(`${why}; restarting it in ${delay} ms`)
    timer = setTimeout(async () => {
      timer = null
      if (stopping) return
      try {
        const c = await launch(dir, port, bucket, pidFile)
        if (stopping) return void c.kill('SIGKILL')
        child = c
        startedAt = Date.now()
        restarts++
        supervise(c)
        log(`embedded S3 server restarted (pid ${c.pid})`)
        opts.onRestarted?.()
      } catch (e) {
        scheduleRestart(`the embedded S3 server did not start again: ${(e as Error).message}`)
      }
    }, delay)
    timer.unref()
  }
  supervise(child)

  const killOnExit = () => child?.kill('SIGKILL')
  process.once('exit', killOnExit)
  return {
    endpoint: `http://127.0.0.1:${port}`,
    pid: () => child?.pid ?? null,
    restarts: () => restarts,
    stop: async () => {
      stopping = true
      process.off('exit', killOnExit)
      if (timer) clearTimeout(timer)
      const c = child
      child = null
      if (c && c.exitCode === null && c.signalCode === null) {
        const exited = new Promise((r) => c.once('exit', r))
        c.kill()
        const hard = setTimeout(() => c.kill('SIGKILL'), 5000)
        await exited
        clearTimeout(hard)
      }
      fs.rmSync(pidFile, { force: true })
    },
  }
}

/** Starts the store process and waits until it accepts requests. */
async function launch(dir: string, port: number, bucket: string, pidFile: string): Promise<ChildProcess> {
  // stdin stays an open pipe we never write to: its end-of-file tells the child that we are gone
  const child = spawn(process.execPath, [...childScriptArgs('embedded-s3'), dir, String(port), bucket, pidFile], { stdio: ['pipe', 'pipe', 'pipe'] })
  child.stdin!.on('error', () => {}) // EPIPE once the child is gone
  let output = ''
  try {
    await new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer) => {
        output += d.toString()
        if (output.includes('listening')) resolve()
      }
      child.stdout!.on('data', onData)
      child.stderr!.on('data', onData)
      child.once('exit', (code) => reject(new Error(`embedded S3 server exited (code ${code}): ${output.trim().slice(-500)}`)))
      setTimeout(() => reject(new Error(`embedded S3 server did not start within ${START_TIMEOUT_MS / 1000} s: ${output.trim().slice(-500)}`)), START_TIMEOUT_MS).unref()
    })
  } catch (e) {
    child.kill('SIGKILL')
    throw e
  }
  child.stdout!.removeAllListeners('data')
  child.stderr!.removeAllListeners('data')
  child.stdout!.resume()
  child.stderr!.resume()
  return child
}

/**
 * A store process left by a crashed run (its pid file says which) is killed, and waited for, before a
 * new one starts on the same directory. The pid is only trusted when that process is still an embedded
 * S3 server on this directory (pids are reused).
 */
export async function killStaleStore(pidFile: string, dir: string, log: (m: string) => void) {
  let recorded: string
  try {
    recorded = fs.readFileSync(pidFile, 'utf8')
  } catch {
    return // no previous run, or it stopped cleanly
  }
  const pid = Number.parseInt(recorded.trim(), 10)
  if (!(pid > 1) || pid === process.pid) return void fs.rmSync(pidFile, { force: true })
  const args = commandLineOf(pid)
  if (args && args.some((a) => a.includes('embedded-s3')) && args.includes(dir)) {
    log(`stopping the embedded S3 server left running by a previous run (pid ${pid})`)
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // gone meanwhile
    }
    for (let i = 0; i < 100 && commandLineOf(pid) !== null; i++) await new Promise((r) => setTimeout(r, 50))
  }
  fs.rmSync(pidFile, { force: true })
}

/** The arguments of a running process, or null when there is none. */
function commandLineOf(pid: number): string[] | null {
  try {
    if (fs.existsSync('/proc/self/cmdline')) {
      const raw = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      // a zombie (killed, not yet reaped) has an empty command line: it holds no port or files any more
      return raw ? raw.split('\0') : null
    }
    const line = execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).trim()
    return line ? line.split(/\s+/) : null
  } catch {
    return null
  }
}
