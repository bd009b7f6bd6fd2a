// Periodic work: every instance runs this ticker. Time is cut into slots of each task's interval
// (floor(now / interval)); the first instance to claim the slot sends the job, with singletonKey
// '<name>:<slot>', so one job runs per interval however many instances tick. The claim is a row of the
// Lease table ('schedule:<name>', `until` = start of the last slot sent) moved forward by one conditional
// write, so a restart within the slot does not send it again and a slow clock cannot send an old slot.
import type { Services } from '../services'
import type { JobName, JobPayloads } from './job-queue'
import { lifecycleOf, type LifecycleSettings } from '../lifecycle/settings'
import { randomUUID } from 'node:crypto'
import type { Db } from '../db/client'
import { isUniqueViolation } from '../db/client'

type Periodic = { [N in JobName]: { name: N; interval: (s: LifecycleSettings) => number; data: JobPayloads[N] } }[JobName]

const PERIODIC: Periodic[] = [
  { name: 'gc.run', interval: (s) => s.gcIntervalSeconds, data: { dryRun: false, trigger: 'schedule' } },
  { name: 'retention.run', interval: (s) => s.retentionIntervalSeconds, data: {} },
  { name: 'expiry.run', interval: (s) => s.expiryIntervalSeconds, data: {} },
]

export type Schedule = { stop(): Promise<void>; /** one tick now (tests) */ tick(): Promise<void> }

/** Sends what is due now, then every `tickMs` (default: a quarter of the shortest interval, 1–30 s). */
export function startSchedule(services: Services, opts: { tickMs?: number; now?: () => number; log?: (m: string) => void } = {}): Schedule {
  const now = opts.now ?? Date.now
  const log = opts.log ?? ((m: string) => console.error(m))
  const settings = lifecycleOf(services)
  const intervals = PERIODIC.map((p) => p.interval(settings)).filter((s) => s > 0)
  const tickMs = opts.tickMs ?? Math.min(30_000, Math.max(1000, (Math.min(...intervals, 120) * 1000) / 4))
  const holder = randomUUID()
  let ticking: Promise<void> | null = null
  let stopped = false

  async function sendDue() {
    for (const p of PERIODIC) {
      const seconds = p.interval(settings)
      if (seconds <= 0 || stopped || !services.jobs) continue // 0 = only on demand
      const at = now()
      const slot = Math.floor(at / 1000 / seconds)
      const slotStart = new Date(slot * seconds * 1000)
      try {
        if (!(await claimSlot(services.db, `schedule:${p.name}`, slotStart, holder))) continue // sent already (here or elsewhere)
        await services.jobs.send(p.name, p.data as never, { singletonKey: `${p.name}:${slot}` }).catch(async (e) => {
          // not sent: give the slot back so the next tick tries again
          await services.db.lease.updateMany({ where: { name: `schedule:${p.name}`, holder, until: slotStart }, data: { until: new Date(0) } }).catch(() => {})
          throw e
        })
      } catch (e) {
        if (!stopped) log(`scheduling ${p.name} failed (tried at the next tick): ${(e as Error).message}`)
      }
    }
  }

  const tick = () => (ticking ??= sendDue().finally(() => (ticking = null)))
  const timer = intervals.length ? setInterval(() => void tick(), tickMs) : null
  timer?.unref()
  void tick()
  return {
    tick,
    async stop() {
      stopped = true
      if (timer) clearInterval(timer)
      await ticking
    },
  }
}

/** Moves the claim `name` forward to `slotStart`; false when it is there already (or further). */
async function claimSlot(db: Db, name: string, slotStart: Date, holder: string): Promise<boolean> {
  const moved = await db.lease.updateMany({ where: { name, until: { lt: slotStart } }, data: { until: slotStart, holder } })
  if (moved.count === 1) return true
  try {
    await db.lease.create({ data: { name, holder, until: slotStart } })
    return true
  } catch (e) {
    if (isUniqueViolation(e)) return false // the row exists at this slot or later
    throw e
  }
}
