// The long-lived parts of a running Stowage (database, object store, limits), created once and
// passed explicitly, so tests can build as many independent instances as they like.
import type { Db } from './db/client'
import type { BlobStore } from './storage/blob-store'
import type { Limits } from './config'
import type { HttpSettings } from './http/http-settings'
import type { AuthSettings } from './auth/auth-settings'
import type { NetworkSettings } from './http/client-address'
import type { RateLimiter } from './limits/rate-limit'
import type { JobQueue } from './jobs/job-queue'
import type { ForegroundGate } from './jobs/foreground'
import type { LifecycleSettings } from './lifecycle/settings'
import type { Ops } from './ops/ops'

export type Services = {
  db: Db
  store: BlobStore
  limits: Limits
  /** Answer blob downloads with a redirect to a presigned object-store URL valid this many seconds. */
  blobRedirectSeconds?: number | null
  /** Upload idle time and rejection drain bound (defaults in lib/http/http-settings.ts). */
  http?: Partial<HttpSettings>
  /** Access control: registry tokens, sign-in throttling (lib/auth/auth-settings.ts). */
  auth?: AuthSettings
  /** Trusted reverse proxies (lib/http/client-address.ts). */
  network?: NetworkSettings
  /** per-organization push rate limit (lib/limits/rate-limit.ts); none = unlimited */
  rateLimit?: RateLimiter
  /** background jobs (pg-boss on PostgreSQL, in process on SQLite): lib/jobs/job-queue.ts */
  jobs?: JobQueue
  /** counts foreground imports/pushes so background work yields the CPU to them */
  foreground?: ForegroundGate
  /** grace periods, expiry ages, schedules (defaults in lib/lifecycle/settings.ts) */
  lifecycle?: Partial<LifecycleSettings>
  /** metrics, the /metrics token, readiness timeouts (lib/ops); the front door creates one when absent */
  ops?: Ops
}
