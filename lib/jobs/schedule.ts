// Periodic work: every instance runs this ticker. Time is cut into slots of each task's interval
// (floor(now / interval)); the first instance to take the slot's lease sends the job, with
// singletonKey '<name>:<slot>', so one job runs per interval however many instances tick. The lease
// lives in the database until the slot ends, so a restart within the slot does not send it again.
import type { Services } from '../services'
import type { JobName, JobPayloads } from './job-queue'
import { lifecycleOf, type LifecycleSettings } from '../lifecycle/settings'
import { acquireLease } from '../db/leases'

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
  let ticking: Promise<void> | null = null
  let stopped = false

  async function sendDue() {
    for (const p of PERIODIC) {
      const seconds = p.interval(settings)
      if (seconds <= 0 || stopped || !services.jobs) continue // 0 = only on demand
      const at = now()
      const slot = Math.floor(at / 1000 / seconds)
      const slotEnds = (slot + 1) * seconds * 1000
      try {
        const lease = await acquireLease(services.db, `schedule:${p.name}`, Math.max(1, slotEnds - at))
        if (!lease) continue // this slot's job was sent (by this or another instance)
        await services.jobs.send(p.name, p.data as never, { singletonKey: `${p.name}:${slot}` }).catch(async (e) => {
          await lease.release().catch(() => {}) // not sent: the next tick tries again
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
