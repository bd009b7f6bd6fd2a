// The storage lifecycle's API answers as the console reads them (JSON: times are ISO strings), written
// from the contracts in DESIGN-11 (GET /api/storage, /api/gc/runs, /api/jobs, POST /api/gc, retention).
// Type-only: the browser bundle imports nothing from the server's lib/ through this file.
import type { GcResult } from '../gc/run-gc'
import type { JobCounts, JobName, JobState } from '../jobs/job-queue'
import type { RetentionResult } from '../retention/run-retention'

export type GcRunView = {
  id: number
  dryRun: boolean
  trigger: 'schedule' | 'manual'
  actor: string | null
  state: string
  startedAt: string
  finishedAt: string | null
  manifestsDeleted: number
  linksDeleted: number
  blobsDeleted: number
  objectsDeleted: number
  bytesFreed: number
  errors: string[]
}

export type StorageView = {
  /** sum over repositories of their linked blob sizes: what each repository would cost alone */
  logicalBytes: number
  /** sum of the stored blobs' sizes: each stored once, after deduplication */
  physicalBytes: number
  /** what a garbage collection now would free (a dry run's estimate) */
  reclaimableBytes: number
  graceSeconds: number
  blobs: number
  manifests: number
  repositories: number
  lastRun: GcRunView | null
}

export type GcResultView = GcResult

export type JobView = { id: string; name: JobName; state: JobState; retryCount: number; createdAt: string; startedAt: string | null; completedAt: string | null; error: string | null; data: unknown }
export type JobsView = { kind: 'pg-boss' | 'in-process'; counts: Record<JobName, JobCounts>; jobs: JobView[] }

/** What the storage page renders first; a part is null when its source is not there (no job queue). */
export type StoragePageData = { usage: StorageView; runs: GcRunView[]; jobs: JobsView | null }

export type RetentionPolicyInput = { keepLatest?: number | null; keepPattern?: string | null; untaggedDays?: number | null; enabled?: boolean }
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
