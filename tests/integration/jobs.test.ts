// The job queue on real databases: pg-boss on PostgreSQL, the LocalJob queue on SQLite. Jobs survive a
// restart (queued ones, and running ones whose process died), run once with two instances, retry with
// backoff and end failed with their reason, and a singleton key keeps one job per key.
import { describe, it, expect, beforeEach, afterEach } from 'vitest'
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { providers, startStack, type Stack } from '../helpers/stack'
import { waitFor } from '../helpers/http-stack'
import { openJobQueue } from '../../lib/jobs/open-queue'
import type { JobQueue } from '../../lib/jobs/job-queue'

describe.each(providers)('job queue (%s)', (provider) => {
  let stack: Stack
  const open: JobQueue[] = []
  beforeEach(async () => {
    stack = await startStack(provider)
  }, 60_000)
  afterEach(async () => {
    for (const q of open.splice(0)) await q.stop().catch(() => {})
    await stack.close()
  }, 60_000)

  /** a queue as boot opens it, with short polls (and, for the dead-worker test, short leases) */
  function queue(o: { leaseSeconds?: number } = {}) {
    const q = openJobQueue(stack.databaseUrl, stack.db, {
      local: { pollMs: 50, leaseSeconds: o.leaseSeconds, stopTimeoutMs: 5000 },
      pgBoss: { pollingIntervalSeconds: 0.5, maintenanceIntervalSeconds: 1, stopTimeoutMs: 5000, ...(o.leaseSeconds ? { expireInSeconds: o.leaseSeconds } : {}) },
      log: () => {},
    })
    open.push(q)
    return q
  }
  async function close(q: JobQueue) {
    await q.stop()
    open.splice(open.indexOf(q), 1)
  }

  it('runs a job queued before a restart once the queue is opened again', async () => {
    const first = queue()
    await first.start()
    const id = await first.send('expiry.run', {})
    expect(id).toBeTruthy()
    await close(first) // no worker ran it

    const handled: string[] = []
    const second = queue()
    await second.work('expiry.run', { concurrency: 1 }, async (_d, job) => void handled.push(job.id))
    await second.start()
    await second.idle('expiry.run')
    expect(handled).toEqual([id])
    expect(await second.get(id!)).toMatchObject({ id, name: 'expiry.run', state: 'completed', retryCount: 0, error: null })
  }, 60_000)

  it('runs a job again whose process died while running it, once its lease ran out', async () => {
    const sender = queue({ leaseSeconds: 2 })
    await sender.start()
    const id = await sender.send('expiry.run', {})
    // a real process takes the job and is killed with SIGKILL while its handler runs
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href
    const child = spawn(process.execPath, ['--import', tsx, path.join(import.meta.dirname, '../helpers/job-child.ts'), stack.databaseUrl], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const exited = new Promise((r) => child.once('exit', r))
    let out = ''
    child.stdout.on('data', (c) => (out += c))
    try {
      await waitFor(async () => out.includes(`started ${id}`), 'the child process to start the job', 60_000)
    } finally {
      child.kill('SIGKILL')
    }
    await exited
    expect(await sender.get(id!)).toMatchObject({ state: 'active' }) // as the dead process left it

    const handled: { id: string; retryCount: number }[] = []
    const restarted = queue({ leaseSeconds: 2 })
    await restarted.work('expiry.run', { concurrency: 1 }, async (_d, job) => void handled.push(job))
    await restarted.start()
    await restarted.idle('expiry.run')
    expect(handled).toEqual([{ id, retryCount: 1 }]) // the dead run counts as a failed attempt
    expect(await restarted.get(id!)).toMatchObject({ state: 'completed', retryCount: 1 })
  }, 90_000)

  it('runs each job exactly once with two queue instances working on the same database', async () => {
    const a = queue()
    const b = queue()
    const seen: string[] = []
    const by = { a: 0, b: 0 }
    const handler = (who: 'a' | 'b') => async (_d: unknown, job: { id: string }) => {
      seen.push(job.id)
      by[who]++
      await new Promise((r) => setTimeout(r, 5))
    }
    await a.work('expiry.run', { concurrency: 2 }, handler('a'))
    await b.work('expiry.run', { concurrency: 2 }, handler('b'))
    await Promise.all([a.start(), b.start()])
    const ids: string[] = []
    for (let i = 0; i < 40; i++) ids.push((await (i % 2 ? a : b).send('expiry.run', {}))!)
    await a.idle('expiry.run')
    await b.idle('expiry.run')
    expect([...seen].sort()).toEqual([...ids].sort()) // each once: none lost, none twice
    expect(by.a + by.b).toBe(40)
    expect((await a.counts())['expiry.run']).toEqual({ queued: 0, active: 0, failed: 0, completed: 40 })
  }, 90_000)

  it('retries a failing job with a doubling delay and ends it failed with the reason', async () => {
    const q = queue()
    const attempts: { retryCount: number; started: number; failed: number }[] = []
    await q.work('retention.run', { concurrency: 1 }, async (_d, job) => {
      const started = Date.now()
      attempts.push({ retryCount: job.retryCount, started, failed: Date.now() })
      throw new Error(`policy store unreachable (attempt ${job.retryCount + 1})`)
    })
    await q.start()
    const id = await q.send('retention.run', {}, { retryLimit: 2, retryDelaySeconds: 1 })
    await waitFor(async () => (await q.get(id!))?.state === 'retry', 'the first retry to be scheduled')
    expect(await q.get(id!)).toMatchObject({ state: 'retry', retryCount: 1, error: 'policy store unreachable (attempt 1)' })
    await q.idle('retention.run')
    expect(attempts.map((a) => a.retryCount)).toEqual([0, 1, 2])
    // backoff: at least 1 s before the second attempt, at least 2 s (doubled) before the third
    expect(attempts[1].started - attempts[0].failed).toBeGreaterThanOrEqual(1000 - 50)
    expect(attempts[2].started - attempts[1].failed).toBeGreaterThanOrEqual(2000 - 50)
    const failed = await q.recent({ state: 'failed', limit: 10 })
    expect(failed).toEqual([expect.objectContaining({ id, name: 'retention.run', state: 'failed', retryCount: 3, error: 'policy store unreachable (attempt 3)' })])
    expect((await q.counts())['retention.run']).toMatchObject({ failed: 1, queued: 0, active: 0 })
  }, 90_000)

  it('keeps one queued or running job per singleton key', async () => {
    const q = queue()
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const handled: string[] = []
    await q.start() // no worker yet: sent jobs stay queued
    const first = await q.send('blob.measure', { digest: 'sha256:a' }, { singletonKey: 'sha256:a' })
    expect(first).toBeTruthy()
    expect(await q.send('blob.measure', { digest: 'sha256:a' }, { singletonKey: 'sha256:a' })).toBeNull() // queued
    expect(await q.send('blob.measure', { digest: 'sha256:b' }, { singletonKey: 'sha256:b' })).toBeTruthy() // another key
    await q.work('blob.measure', { concurrency: 2 }, async (d) => {
      handled.push(d.digest)
      await gate
    })
    await waitFor(async () => (await q.get(first!))?.state === 'active', 'the job to run')
    expect(await q.send('blob.measure', { digest: 'sha256:a' }, { singletonKey: 'sha256:a' })).toBeNull() // running
    release()
    await q.idle('blob.measure')
    const again = await q.send('blob.measure', { digest: 'sha256:a' }, { singletonKey: 'sha256:a' }) // done: a new one may be queued
    expect(again).toBeTruthy()
    expect(again).not.toBe(first)
    await q.idle('blob.measure')
    expect(handled.sort()).toEqual(['sha256:a', 'sha256:a', 'sha256:b'])
    expect((await q.recent({ name: 'blob.measure', limit: 10 })).map((j) => j.state)).toEqual(['completed', 'completed', 'completed'])
  }, 60_000)
})
