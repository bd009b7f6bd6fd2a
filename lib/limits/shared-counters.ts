// Where the push rate limit and sign-in throttling count, so that several instances spend one budget:
// Redis when REDIS_URL is set; otherwise PostgreSQL when the database is PostgreSQL (instances behind a
// load balancer always share it); otherwise this process (SQLite serves one instance). A store that does
// not answer falls back to counting in process (insurance), never to refusing or holding requests.
import pg from 'pg'
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible'
import { providerOf } from '../db/provider'
import type { Redis } from './redis'

export type SharedCounters = {
  redis?: Redis | null
  /** a pool on the PostgreSQL database holding the RateLimitCounter table (openPostgresCounters) */
  postgres?: pg.Pool | null
}

/** The table of prisma/sqlite/schema.prisma (model RateLimitCounter), created by a migration. */
export const COUNTER_TABLE = 'RateLimitCounter'

/** How long one counter query may take before the in-process insurance answers instead (as with Redis). */
export const POSTGRES_COUNTER_TIMEOUT_MS = 1000

/** What the start-up log says about where limits are counted. */
export function describeCounters(c: SharedCounters): string {
  if (c.redis) return 'rate limits and sign-in throttling are shared through Redis'
  if (c.postgres) return 'rate limits and sign-in throttling are shared through PostgreSQL (REDIS_URL is not set)'
  return 'rate limits and sign-in throttling count in this process (one instance: SQLite and no REDIS_URL)'
}

/**
 * A small pool of its own: the limiter's queries must not wait behind a long import transaction in the
 * Prisma pool, and a limiter query must never hold one of its connections. Null unless `databaseUrl` is
 * PostgreSQL.
 */
export function openPostgresCounters(databaseUrl: string, log: (m: string) => void = (m) => console.error(m)): pg.Pool | null {
  if (providerOf(databaseUrl) !== 'postgresql') return null
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: 4,
    connectionTimeoutMillis: POSTGRES_COUNTER_TIMEOUT_MS,
    query_timeout: POSTGRES_COUNTER_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    application_name: 'stowage-limits',
  })
  // an idle connection the server closed (restart, failover) must not crash the process
  pool.on('error', (e) => log(`rate-limit counters: PostgreSQL connection lost (${e.message}); counting in process until it is back`))
  return pool
}

/** A limiter of `points` per `duration` seconds on the shared store, with an in-process insurance. */
export function sharedLimiter(c: SharedCounters, o: { points: number; duration: number; keyPrefix: string }): RateLimiterAbstract {
  const memory = new RateLimiterMemory(o)
  if (c.redis) return new RateLimiterRedis({ ...o, storeClient: c.redis, insuranceLimiter: memory, rejectIfRedisNotReady: true })
  if (c.postgres) {
    // tableCreated: the migration made it (the library would otherwise CREATE TABLE at run time)
    return new RateLimiterPostgres({ ...o, storeClient: c.postgres, storeType: 'pool', tableName: COUNTER_TABLE, tableCreated: true, insuranceLimiter: memory })
  }
  return memory
}
