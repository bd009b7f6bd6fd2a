// The per-organization push rate limit: write requests per second (uploads, pushes, tag changes,
// deletions) of one organization, whoever sends them. Counted in Redis when the server has one, so
// every instance spends the same budget; in process otherwise, and in process as insurance while
// Redis is unreachable (a Redis outage must never take pushes down).
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible'
import type { Db } from '../db/client'
import type { Redis } from './redis'

export type LimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number; perSecond: number }

export interface RateLimiter {
  /** Counts one write request of the organization and says whether it may go on. */
  consumeWrite(organization: string): Promise<LimitDecision>
}

export type RateLimiterOptions = {
  db: Pick<Db, 'organization'>
  /** writes per second of an organization without its own setting (STOWAGE_PUSH_RATE_LIMIT); 0 = unlimited */
  defaultPerSecond: number
  /** shared counters; none = this process only */
  redis?: Redis | null
  /** Redis key prefix (tests use one per run so they never see each other's counters) */
  keyPrefix?: string
  /** how long an organization's own setting is trusted before it is read again */
  settingCacheMs?: number
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

  function limiterFor(points: number): RateLimiterAbstract {
    let limiter = limiters.get(points)
    if (!limiter) {
      const keyPrefix = `${prefix}:push:${points}`
      const memory = new RateLimiterMemory({ points, duration: 1, keyPrefix })
      limiter = opts.redis
        ? new RateLimiterRedis({ storeClient: opts.redis, points, duration: 1, keyPrefix, insuranceLimiter: memory, rejectIfRedisNotReady: true })
        : memory
      limiters.set(points, limiter)
    }
    return limiter
  }

  return {
    async consumeWrite(organization) {
      const perSecond = await rateOf(organization)
      if (perSecond <= 0) return { allowed: true }
      try {
        await limiterFor(perSecond).consume(organization)
        return { allowed: true }
      } catch (e) {
        if (e instanceof RateLimiterRes) return { allowed: false, retryAfterSeconds: retryAfterSeconds(e.msBeforeNext), perSecond }
        // neither Redis nor the insurance answered: let the write through rather than fail it
        log(`push rate limit unavailable (${(e as Error).message}); request allowed`)
        return { allowed: true }
      }
    },
  }
}

export const rateLimitMessage = (organization: string, d: { perSecond: number; retryAfterSeconds: number }) =>
  `organization "${organization}" may send ${d.perSecond} write requests per second; retry in ${d.retryAfterSeconds} s`
