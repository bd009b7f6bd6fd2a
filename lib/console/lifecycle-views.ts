// The storage lifecycle's API answers as the console reads them (JSON: times are ISO strings): GET
// /api/storage, /api/gc/runs, /api/jobs, POST /api/gc, retention (contracts in DESIGN-11).
// Type-only: the browser bundle imports nothing from the server's lib/ through this file.
import type { GcResult } from '../gc/run-gc'
import type { GcRunView } from '../gc/gc-runs'
import type { StorageUsage } from '../gc/storage-usage'
import type { JobCounts, JobName, JobState } from '../jobs/job-queue'
import type { RetentionResult } from '../retention/run-retention'

/** a GC run as GET /api/gc/runs lists it (times already ISO strings) */
export type { GcRunView }
/** GET /api/storage: logical (each repository alone), physical (stored once), reclaimable (a GC now) */
export type StorageView = StorageUsage

export type GcResultView = GcResult

export type JobView = { id: string; name: JobName; state: JobState; retryCount: number; createdAt: string; startedAt: string | null; completedAt: string | null; error: string | null; data: unknown }
export type JobsView = { kind: 'pg-boss' | 'in-process'; counts: Record<JobName, JobCounts>; jobs: JobView[] }

/** What the storage page renders first; a part is null when its source is not there (no job queue). */
export type StoragePageData = { usage: StorageView; runs: GcRunView[]; jobs: JobsView | null }

export type RetentionPolicyView = {
  id: number
  organization?: string | null
  repository?: string | null
  keepLatest: number | null
  keepPattern: string | null
  untaggedDays: number | null
  enabled: boolean
  updatedAt?: string
}
export type RetentionResultView = RetentionResult
