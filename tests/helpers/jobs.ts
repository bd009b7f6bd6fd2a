// Background jobs for tests: the real queue of the stack's database (pg-boss on PostgreSQL, LocalJob on
// SQLite), started on the stack's services; `measured` runs what is waiting and returns when it is done.
import type { Stack } from './stack'
import { startJobs, type RunningJobs } from '../../lib/jobs/start-jobs'

export function startTestJobs(stack: Stack, opts: { measureConcurrency?: number; schedule?: boolean } = {}): Promise<RunningJobs> {
  return startJobs(stack, {
    databaseUrl: stack.databaseUrl,
    measureConcurrency: opts.measureConcurrency ?? 2,
    schedule: opts.schedule ?? false,
    local: { pollMs: 50 },
    pgBoss: { pollingIntervalSeconds: 0.5, stopTimeoutMs: 5000 },
    log: () => {},
  })
}

/** Starts the jobs, waits until every compressed-size measurement is done (pending ones are queued at start), stops them. */
export async function measured(stack: Stack) {
  const running = await startTestJobs(stack)
  try {
    await running.jobs.idle('blob.measure')
  } finally {
    await running.stop()
  }
}
