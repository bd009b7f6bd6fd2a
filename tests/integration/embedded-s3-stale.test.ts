// A store process left running by a crashed run (named in DATA_DIR/embedded-s3.pid) is stopped before a
// new one starts on the same directory; a pid file naming some other process (pids are reused) kills
// nothing. Real processes: the stale "store" is a node process whose command line is that of a store.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawn, type ChildProcess } from 'node:child_process'
import { describe, it, expect, afterEach } from 'vitest'
import { startEmbeddedS3, embeddedS3PidFile, type EmbeddedS3 } from '../../lib/storage/embedded-s3'
import { isRunning, waitFor } from './store-outage-support'

describe.skipIf(!fs.existsSync('/proc/self/cmdline'))('stale embedded store from a crashed run', () => {
  const cleanup: (() => Promise<void> | void)[] = []
  afterEach(async () => {
    for (const c of cleanup.splice(0)) await c()
  })

  function sleeper(args: string[]): ChildProcess {
    const p = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', ...args], { stdio: 'ignore' })
    cleanup.push(() => void p.kill('SIGKILL'))
    return p
  }
  async function startIn(dataDir: string, logs: string[]): Promise<EmbeddedS3> {
    const s3 = await startEmbeddedS3(dataDir, 'layers', { log: (m) => void logs.push(m) })
    cleanup.push(() => s3.stop())
    return s3
  }

  it('kills the store a crashed run left on this directory, then starts one', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-stale-'))
    cleanup.push(() => fs.rmSync(dataDir, { recursive: true, force: true }))
    const stale = sleeper(['lib/storage/embedded-s3-main.ts', path.join(dataDir, 's3'), '4568', 'layers'])
    await waitFor('the stale process', () => isRunning(stale.pid!))
    fs.writeFileSync(embeddedS3PidFile(dataDir), `${stale.pid}\n`)

    const logs: string[] = []
    const s3 = await startIn(dataDir, logs)
    expect(isRunning(stale.pid!)).toBe(false)
    expect(logs).toContain(`stopping the embedded S3 server left running by a previous run (pid ${stale.pid})`)
    expect(Number(fs.readFileSync(embeddedS3PidFile(dataDir), 'utf8'))).not.toBe(stale.pid)
    expect((await fetch(`${s3.endpoint}/layers?list-type=2`)).status).toBe(200)
  }, 60_000)

  it('leaves alone a process the pid file names that is not a store of this directory', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-stale-'))
    cleanup.push(() => fs.rmSync(dataDir, { recursive: true, force: true }))
    const unrelated = sleeper(['unrelated'])
    const otherStore = sleeper(['lib/storage/embedded-s3-main.ts', '/some/other/data/s3', '4568', 'layers'])
    await waitFor('the processes', () => isRunning(unrelated.pid!) && isRunning(otherStore.pid!))
    for (const p of [unrelated, otherStore]) {
      fs.writeFileSync(embeddedS3PidFile(dataDir), `${p.pid}\n`)
      const logs: string[] = []
      const s3 = await startIn(dataDir, logs)
      expect(isRunning(p.pid!)).toBe(true)
      expect(logs.filter((l) => l.startsWith('stopping'))).toEqual([])
      await s3.stop()
    }
  }, 60_000)
})
