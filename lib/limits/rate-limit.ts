// The per-organization push rate limit: write requests per second (uploads, pushes, tag changes,
// deletions) of one organization, whoever sends them. Counted in Redis when the server has one, else in
// PostgreSQL when the database is PostgreSQL, so every instance spends the same budget; in process with
// SQLite, and in process as insurance while the shared store is unreachable (an outage of it must never
// take pushes down). See shared-counters.ts.
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible'
import type { Db } from '../db/client'
import type { Redis } from './redis'
import { sharedLimiter, type SharedCounters } from './shared-counters'

export type LimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number; perSecond: number }

export interface RateLimiter {
  /**
   * Counts one write request of the organization and says whether it may go on. `continuing`: a
   * request of an upload the limit already admitted (its chunks, its finishing PUT), refused only
   * beyond CONTINUING_CEILING times the rate.
   */
  consumeWrite(organization: string, opts?: { continuing?: boolean }): Promise<LimitDecision>
}

/**
 * Why uploads in progress get more room: clients cannot resend a request body (containers/image and
 * docker retry a refused POST after Retry-After, but a refused PATCH fails the whole layer), so
 * refusing mid-upload turns a brief excess into a failed push, as the skopeo load test showed
 * (tests/integration/rate-limit-skopeo.test.ts). Their requests still spend the budget, so new uploads
 * wait, and a client flooding one session with tiny chunks is still stopped at this multiple.
 */
export const CONTINUING_CEILING = 4

export type RateLimiterOptions = {
  db: Pick<Db, 'organization'>
  /** writes per second of an organization without its own setting (STOWAGE_PUSH_RATE_LIMIT); 0 = unlimited */
  defaultPerSecond: number
  /** shared counters; none = this process only */
  redis?: Redis | null
  /** shared counters in PostgreSQL when there is no Redis (shared-counters.ts openPostgresCounters) */
  postgres?: SharedCounters['postgres']
  /** Redis key prefix (tests use one per run so they never see each other's counters) */
  keyPrefix?: string
  /** how long an organization's own setting is trusted before it is read again */
  settingCacheMs?: number
  /**
   * Length of a counting window (default 1 s): an organization gets rate × windowSeconds writes per
   * window. Longer windows allow longer bursts at the same average; tests on loaded machines use them
   * so that a burst surely falls in one window.
   */
  windowSeconds?: number
  log?: (m: string) => void
}

export const DEFAULT_SETTING_CACHE_MS = 5000

/** Retry-After in whole seconds, never 0 (a client told "0" retries at once and is refused again). */
export const retryAfterSeconds = (msBeforeNext: number) => Math.max(1, Math.ceil(msBeforeNext / 1000))

/** The organization's setting, or the default when it has none (or does not exist yet: an admin's first push). */
export const effectiveRate = (setting: number | null | undefined, defaultPerSecond: number) => setting ?? defaultPerSecond

export function createRateLimiter(opts: RateLimiterOptions): RateLimiter {
  const cacheMs = opts.settingCacheMs ?? DEFAULT_SETTING_CACHE_MS
  const prefix = opts.keyPrefix ?? 'stowage'
  const log = opts.log ?? ((m: string) => console.error(m))
  const window = opts.windowSeconds ?? 1
  const settings = new Map<string, { until: number; rate: Promise<number> }>()
  // one limiter per rate: organizations with the same rate share it (keys are organization names)
  const limiters = new Map<number, RateLimiterAbstract>()

  // the rate is read at most once per organization per cacheMs, not once per request
  function rateOf(organization: string): Promise<number> {
    const now = Date.now()
    const cached = settings.get(organization)
    if (cached && cached.until > now) return cached.rate
    const rate = opts.db.organization
      .findUnique({ where: { name: organization }, select: { pushRatePerSecond: true } })
      .then((row) => effectiveRate(row?.pushRatePerSecond, opts.defaultPerSecond))
    rate.catch(() => settings.delete(organization)) // a failed read is not cached
    settings.set(organization, { until: now + cacheMs, rate })
    if (settings.size > 10_000) settings.delete(settings.keys().next().value!) // bounded: names come from requests
    return rate
  }

  function limiterFor(perSecond: number): RateLimiterAbstract {
    let limiter = limiters.get(perSecond)
    if (!limiter) {
      const points = perSecond * window
      const keyPrefix = `${prefix}:push:${perSecond}:${window}s`
      limiter = sharedLimiter(opts, { points, duration: window, keyPrefix })
      limiters.set(perSecond, limiter)
    }
    return limiter
  }

  return {
    async consumeWrite(organization, { continuing = false } = {}) {
      const perSecond = await rateOf(organization)
      if (perSecond <= 0) return { allowed: true }
      try {
        await limiterFor(perSecond).consume(organization)
        return { allowed: true }
      } catch (e) {
        if (e instanceof RateLimiterRes) {
          if (continuing && e.consumedPoints <= perSecond * window * CONTINUING_CEILING) return { allowed: true }
          return { allowed: false, retryAfterSeconds: retryAfterSeconds(e.msBeforeNext), perSecond }
        }
        // neither the shared store nor the insurance answered: let the write through rather than fail it
        log(`push rate limit unavailable (${(e as Error).message}); request allowed`)
        return { allowed: true }
      }
    },
  }
}

export const rateLimitMessage = (organization: string, d: { perSecond: number; retryAfterSeconds: number }) =>
  `organization "${organization}" may send ${d.perSecond} write requests per second; retry in ${d.retryAfterSeconds} s`
