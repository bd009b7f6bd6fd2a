// Storage lifecycle settings: how long unreferenced things are kept, how old abandoned things must be
// before they are collected, and how often each background task runs. Environment names in lib/config.ts.
import type { Services } from '../services'

export type LifecycleSettings = {
  /** STOWAGE_GC_GRACE_SECONDS: unreferenced manifests, links and blobs younger than this are kept (0 = none) */
  gcGraceSeconds: number
  /** STOWAGE_GC_INTERVAL_SECONDS: scheduled garbage collection (0 = only on demand) */
  gcIntervalSeconds: number
  /** STOWAGE_RETENTION_INTERVAL_SECONDS: how often retention policies are applied (0 = only on demand) */
  retentionIntervalSeconds: number
  /** STOWAGE_EXPIRY_INTERVAL_SECONDS: how often abandoned uploads are collected (0 = only at start) */
  expiryIntervalSeconds: number
  /** STOWAGE_UPLOAD_SESSION_EXPIRY_SECONDS: a registry upload session idle this long is cancelled */
  uploadSessionExpirySeconds: number
  /** STOWAGE_STAGED_EXPIRY_SECONDS: a staged object whose owner is gone (or unknown) this long is deleted */
  stagedExpirySeconds: number
  /** STOWAGE_MULTIPART_EXPIRY_SECONDS: an unfinished multipart upload nothing owns this long is aborted */
  multipartExpirySeconds: number
  /**
   * An instance receiving an archive upload renews the upload's lease every third of this; once it has
   * run out (the instance died), any instance may collect the upload (STOWAGE_UPLOAD_LEASE_SECONDS, at
   * least 10): clocks of instances must agree to well within it (NTP).
   */
  uploadLeaseSeconds: number
  /**
   * Rows one garbage-collection candidate query looks at (lib/gc/candidates.ts): bounds how long a query
   * holds the process on SQLite. Not an environment setting; tests make it small to force many batches.
   */
  gcBatchRows: number
}

export const defaultLifecycle: LifecycleSettings = {
  gcGraceSeconds: 24 * 3600,
  gcIntervalSeconds: 24 * 3600,
  retentionIntervalSeconds: 24 * 3600,
  expiryIntervalSeconds: 10 * 60,
  uploadSessionExpirySeconds: 24 * 3600,
  stagedExpirySeconds: 3600,
  multipartExpirySeconds: 24 * 3600,
  uploadLeaseSeconds: 60,
  gcBatchRows: 500,
}

export function lifecycleOf(services: Pick<Services, 'lifecycle'>): LifecycleSettings {
  return { ...defaultLifecycle, ...services.lifecycle }
}
