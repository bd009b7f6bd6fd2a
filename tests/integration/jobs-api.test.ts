// GET /api/jobs: what the console shows of background jobs — counts per kind and state, the newest
// jobs, failures with their reason — on the real queue of each database.
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { providers } from '../helpers/stack'
import { startRegistry, type Registry } from '../helpers/http-stack'
import { openJobQueue } from '../../lib/jobs/open-queue'
import type { JobQueue } from '../../lib/jobs/job-queue'

describe.each(providers)('GET /api/jobs (%s)', (provider) => {
  let reg: Registry
  let jobs: JobQueue
  let failedId: string
  beforeAll(async () => {
    reg = await startRegistry(provider)
    jobs = openJobQueue(reg.stack.databaseUrl, reg.stack.db, { local: { pollMs: 50 }, pgBoss: { pollingIntervalSeconds: 0.5, stopTimeoutMs: 5000 }, log: () => {} })
    await jobs.work('blob.measure', { concurrency: 1 }, async () => {})
    await jobs.work('retention.run', { concurrency: 1 }, async () => {
      throw new Error('the policy names a repository that is gone')
    })
    await jobs.start()
    reg.stack.jobs = jobs
    const tick = () => new Promise((r) => setTimeout(r, 10)) // distinct creation times: a stable newest-first order
    await jobs.send('blob.measure', { digest: 'sha256:1' })
    await tick()
    failedId = (await jobs.send('retention.run', {}, { retryLimit: 0 }))!
    await jobs.idle()
    await tick()
    await jobs.send('expiry.run', {}) // no worker: stays queued
  }, 60_000)
  afterAll(async () => {
    await jobs?.stop()
    await reg?.close()
  })

  const get = async (query = '') => {
    const res = await fetch(`${reg.url}/api/jobs${query}`)
    return { status: res.status, body: (await res.json()) as any }
  }

  it('answers counts per kind and the newest jobs', async () => {
    const { status, body } = await get()
    expect(status).toBe(200)
    expect(body.kind).toBe(provider === 'postgresql' ? 'pg-boss' : 'in-process')
    expect(body.counts).toEqual({
      'blob.measure': { queued: 0, active: 0, failed: 0, completed: 1 },
      'gc.run': { queued: 0, active: 0, failed: 0, completed: 0 },
      'retention.run': { queued: 0, active: 0, failed: 1, completed: 0 },
      'expiry.run': { queued: 1, active: 0, failed: 0, completed: 0 },
      'image.analyze': { queued: 0, active: 0, failed: 0, completed: 0 },
    })
    expect(body.jobs.map((j: any) => [j.name, j.state])).toEqual([
      ['expiry.run', 'created'],
      ['retention.run', 'failed'],
      ['blob.measure', 'completed'],
    ])
  })

  it('filters by state and kind, and shows why a job failed', async () => {
    const { body } = await get('?state=failed')
    expect(body.jobs).toEqual([expect.objectContaining({ id: failedId, name: 'retention.run', state: 'failed', retryCount: 1, error: 'the policy names a repository that is gone' })])
    expect((await get('?name=blob.measure&limit=1')).body.jobs.map((j: any) => j.data)).toEqual([{ digest: 'sha256:1' }])
  })

  it('refuses malformed filters with a 400 naming them', async () => {
    for (const [query, name] of [['?state=stuck', 'state'], ['?name=gc', 'name'], ['?limit=0', 'limit'], ['?limit=abc', 'limit']]) {
      const { status, body } = await get(query)
      expect(status).toBe(400)
      expect(body.error).toMatchObject({ code: 'PARAMETER_INVALID', message: expect.stringContaining(name) })
    }
  })
})
