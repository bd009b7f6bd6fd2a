// The periodic ticker: every instance ticks, one job per interval is sent (singletonKey '<name>:<slot>'),
// a restart within the interval sends nothing again, an interval of 0 sends nothing.
import { describe, it, expect, beforeEach, afterEach } from 'vitest'
import { providers, startStack, type Stack } from '../helpers/stack'
import { openJobQueue } from '../../lib/jobs/open-queue'
import { startSchedule } from '../../lib/jobs/schedule'
import type { JobQueue } from '../../lib/jobs/job-queue'
import type { Services } from '../../lib/services'

describe.each(providers)('job schedule (%s)', (provider) => {
  let stack: Stack
  const queues: JobQueue[] = []
  beforeEach(async () => {
    stack = await startStack(provider)
  }, 60_000)
  afterEach(async () => {
    for (const q of queues.splice(0)) await q.stop().catch(() => {})
    await stack.close()
  }, 60_000)

  /** one instance: its own queue (no workers: sent jobs stay queued) over the shared database */
  async function instance(lifecycle: Services['lifecycle']): Promise<Services> {
    const jobs = openJobQueue(stack.databaseUrl, stack.db, { log: () => {} })
    queues.push(jobs)
    await jobs.start()
    return { ...stack, jobs, lifecycle }
  }

  const HOUR = 3600
  const slotStart = Math.ceil(Date.now() / 1000 / HOUR) * HOUR * 1000 // a slot boundary, ms

  it('sends one job per interval however many instances tick, and none for an interval of 0', async () => {
    const lifecycle = { gcIntervalSeconds: HOUR, retentionIntervalSeconds: 0, expiryIntervalSeconds: 0 }
    const [a, b] = [await instance(lifecycle), await instance(lifecycle)]
    let now = slotStart + 1000
    const ticks = [a, b].map((s) => startSchedule(s, { tickMs: 3_600_000, now: () => now, log: () => {} }))
    for (const t of ticks) await t.tick()
    for (const t of ticks) await t.tick()
    const sent = () => a.jobs!.recent({ limit: 50 })
    expect((await sent()).map((j) => [j.name, j.data])).toEqual([['gc.run', { dryRun: false, trigger: 'schedule' }]])

    now = slotStart + HOUR * 1000 - 1 // same slot, its last moment: nothing new
    for (const t of ticks) await t.tick()
    expect(await sent()).toHaveLength(1)

    now = slotStart + HOUR * 1000 + 5 // the next slot: one more
    for (const t of [...ticks].reverse()) await t.tick()
    expect((await sent()).map((j) => j.name)).toEqual(['gc.run', 'gc.run'])
    for (const t of ticks) await t.stop()

    // an instance started again within the slot sends nothing again
    const restarted = startSchedule(await instance(lifecycle), { tickMs: 3_600_000, now: () => now, log: () => {} })
    await restarted.tick()
    await restarted.stop()
    expect(await sent()).toHaveLength(2)
  }, 60_000)
})
