// Background work as jobs on a queue: pg-boss (PostgreSQL, several instances, lib/jobs/pg-boss-queue.ts)
// or an in-process queue on SQLite (lib/jobs/local-queue.ts), behind this one interface. Jobs survive
// restarts (both keep them in the database), run once even with several instances, retry with backoff,
// and their state is visible (counts, recent failures with the reason).

/** Every kind of job and its payload. A new job kind is added here first. */
export type JobPayloads = {
  /** measure a layer's other size (gzip -6 of an uncompressed layer, or the inflated size of a gzip one) */
  'blob.measure': { digest: string }
  /** one garbage-collection run (lib/gc/run-gc.ts) */
  'gc.run': { dryRun: boolean; trigger: 'schedule' | 'manual'; actor?: string | null }
  /** apply retention policies: all of them, or one (lib/retention/run-retention.ts) */
  'retention.run': { policyId?: number }
  /** collect abandoned upload sessions, staged objects and multipart uploads (lib/lifecycle/expire.ts) */
  'expiry.run': Record<string, never>
  /** build the merged file tree and efficiency of one image manifest (lib/analysis/image-analysis.ts) */
  'image.analyze': { digest: string }
}
export type JobName = keyof JobPayloads
export const JOB_NAMES: JobName[] = ['blob.measure', 'gc.run', 'retention.run', 'expiry.run', 'image.analyze']

export type SendOptions = {
  /** at most one job with this key is queued or running at a time; send() answers null when one is */
  singletonKey?: string
  /** attempts after the first failure (default 3) */
  retryLimit?: number
  /** seconds before the first retry, doubled for each later one (default 5) */
  retryDelaySeconds?: number
  /** do not start before this many seconds from now */
  startAfterSeconds?: number
}

export type JobState = 'created' | 'retry' | 'active' | 'completed' | 'failed' | 'cancelled'

export type JobView = {
  id: string
  name: JobName
  state: JobState
  /** failed attempts so far */
  retryCount: number
  createdAt: Date
  startedAt: Date | null
  completedAt: Date | null
  /** message of the last failure */
  error: string | null
  data: unknown
}

export type JobCounts = { queued: number; active: number; failed: number; completed: number }

export type JobHandler<N extends JobName> = (data: JobPayloads[N], job: { id: string; retryCount: number }) => Promise<void>

export interface JobQueue {
  readonly kind: 'pg-boss' | 'in-process'
  /** creates what the queue needs (pg-boss: its schema) and starts fetching jobs for registered workers */
  start(): Promise<void>
  /** stops fetching and waits (bounded) for running handlers */
  stop(): Promise<void>
  /** enqueues a job; null when singletonKey names a job that is queued or running already */
  send<N extends JobName>(name: N, data: JobPayloads[N], opts?: SendOptions): Promise<string | null>
  /** runs `handler` for jobs of `name`, at most `concurrency` at a time in this process; a throw fails the attempt */
  work<N extends JobName>(name: N, opts: { concurrency: number }, handler: JobHandler<N>): Promise<void>
  /** jobs per kind and state */
  counts(): Promise<Record<JobName, JobCounts>>
  /** newest jobs first, optionally of one kind / state */
  recent(opts: { name?: JobName; state?: JobState; limit: number }): Promise<JobView[]>
  /** one job, or null */
  get(id: string): Promise<JobView | null>
  /** resolves when no job (of `name`, or of any kind) is queued or running: tests and benchmarks */
  idle(name?: JobName): Promise<void>
}
