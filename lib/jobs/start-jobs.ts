// Background jobs of one running instance: the queue for its database, a worker per job kind, the
// measurements a crash left unqueued, and the periodic ticker. Used by boot and by tests.
import type { Services } from '../services'
import type { JobQueue } from './job-queue'
import { openJobQueue, type QueueOptions } from './open-queue'
import { registerJobHandlers, type JobLog } from './handlers'
import { startSchedule, type Schedule } from './schedule'
import { reconcileMeasurements } from '../analysis/blob-analysis'
import { createForegroundGate } from './foreground'

export type RunningJobs = { jobs: JobQueue; stop(): Promise<void> }

export type StartJobsOptions = Omit<QueueOptions, 'log'> & {
  databaseUrl: string
  /** blob.measure jobs at a time in this process */
  measureConcurrency: number
  /** false: no periodic gc/retention/expiry (tests that only measure) */
  schedule?: boolean
  /** false: foreground work does not hold measurements back (benchmark comparison) */
  prioritizeForeground?: boolean
  log?: JobLog
}

/** Sets `services.jobs` and `services.foreground` (unless one is set already) and starts working. */
export async function startJobs(services: Services, opts: StartJobsOptions): Promise<RunningJobs> {
  const log: JobLog = opts.log ?? ((m, fields) => console.log(fields ? `${m} ${JSON.stringify(fields)}` : m))
  const jobs = openJobQueue(opts.databaseUrl, services.db, opts)
  services.foreground ??= createForegroundGate({ prioritize: opts.prioritizeForeground ?? true })
  await registerJobHandlers(services, jobs, { measureConcurrency: opts.measureConcurrency, log })
  await jobs.start()
  services.jobs = jobs
  let schedule: Schedule | null = null
  try {
    const queued = await reconcileMeasurements(services)
    if (queued) log(`queued ${queued} compressed-size measurements left waiting by the last run`)
    if (opts.schedule !== false) schedule = startSchedule(services, { log })
  } catch (e) {
    await jobs.stop().catch(() => {})
    throw e
  }
  return {
    jobs,
    async stop() {
      await schedule?.stop()
      if (services.jobs === jobs) services.jobs = undefined
      await jobs.stop()
    },
  }
}
