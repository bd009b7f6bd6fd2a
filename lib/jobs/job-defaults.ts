// What both queues share: retry defaults (as documented on SendOptions) and small helpers.
import { JOB_NAMES, type JobCounts, type JobName } from './job-queue'

export const DEFAULT_RETRY_LIMIT = 3
export const DEFAULT_RETRY_DELAY_SECONDS = 5

export function emptyCounts(): Record<JobName, JobCounts> {
  return Object.fromEntries(JOB_NAMES.map((n) => [n, { queued: 0, active: 0, failed: 0, completed: 0 }])) as Record<JobName, JobCounts>
}

/** The reason kept with a failed attempt: the message, bounded. */
export function failureMessage(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e)
  return (m || 'failed').slice(0, 1000)
}

/** Adds `n` jobs of a queue state to the console's counts (created and retry are both "queued"). */
export function addCount(counts: Record<JobName, JobCounts>, name: string, state: string, n: number) {
  const c = counts[name as JobName]
  if (!c) return
  if (state === 'created' || state === 'retry') c.queued += n
  else if (state === 'active') c.active += n
  else if (state === 'failed') c.failed += n
  else if (state === 'completed') c.completed += n
}
