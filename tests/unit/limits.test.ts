// The pure and in-process parts of lib/limits: the per-organization rate (setting, default, 0 =
// unlimited, cached reads), Retry-After rounding, the sign-in throttle's counting in memory, the
// Redis start error, and the configuration of both.
import { describe, it, expect } from 'vitest'
import { createRateLimiter, retryAfterSeconds, effectiveRate, CONTINUING_CEILING } from '../../lib/limits/rate-limit'
import { createSignInThrottle } from '../../lib/limits/sign-in-throttle'
import { openRedis } from '../../lib/limits/redis'
import { ThrottledError } from '../../lib/auth/auth-settings'
import { loadConfig, ConfigError } from '../../lib/config'
import { boot } from '../../lib/boot'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/** An organization table in memory that counts its reads. */
function fakeDb(rates: Record<string, number | null>) {
  const reads: string[] = []
  const db = {
    organization: {
      findUnique: async ({ where }: { where: { name: string } }) => {
        reads.push(where.name)
        return where.name in rates ? { pushRatePerSecond: rates[where.name] } : null
      },
    },
  }
  return { db: db as any, reads }
}

async function burst(limiter: ReturnType<typeof createRateLimiter>, org: string, n: number) {
  const decisions = await Promise.all(Array.from({ length: n }, () => limiter.consumeWrite(org)))
  return decisions.filter((d) => d.allowed).length
}

describe('push rate limit (in process)', () => {
  it('allows an organization its own rate, others the default, and 0 without limit', async () => {
    const { db } = fakeDb({ acme: 3, free: 0, plain: null })
    const limiter = createRateLimiter({ db, defaultPerSecond: 7 })
    expect(await burst(limiter, 'acme', 10)).toBe(3)
    expect(await burst(limiter, 'plain', 10)).toBe(7)
    expect(await burst(limiter, 'missing', 10)).toBe(7) // an admin's first push creates it
    expect(await burst(limiter, 'free', 100)).toBe(100)
  })

  it('answers the refused with whole seconds to wait', async () => {
    const limiter = createRateLimiter({ db: fakeDb({ acme: 1 }).db, defaultPerSecond: 20 })
    expect(await limiter.consumeWrite('acme')).toEqual({ allowed: true })
    expect(await limiter.consumeWrite('acme')).toEqual({ allowed: false, retryAfterSeconds: 1, perSecond: 1 })
    expect([retryAfterSeconds(0), retryAfterSeconds(1), retryAfterSeconds(1000), retryAfterSeconds(1001)]).toEqual([1, 1, 1, 2])
    expect([effectiveRate(null, 20), effectiveRate(undefined, 20), effectiveRate(0, 20), effectiveRate(5, 20)]).toEqual([20, 20, 0, 5])
  })

  it("an admitted upload's own requests go on while new writes are refused, up to CONTINUING_CEILING times the rate", async () => {
    const limiter = createRateLimiter({ db: fakeDb({ acme: 2 }).db, defaultPerSecond: 20 })
    expect(await burst(limiter, 'acme', 3)).toBe(2) // 3 counted
    const continuing = await Promise.all(Array.from({ length: 6 }, () => limiter.consumeWrite('acme', { continuing: true })))
    expect(continuing.map((d) => d.allowed)).toEqual([true, true, true, true, true, false]) // counts 4..8 allowed, 9 > 2 × 4
    expect(CONTINUING_CEILING).toBe(4)
    expect((await limiter.consumeWrite('acme')).allowed).toBe(false)
  })

  it('reads an organization setting once per cache period, not per request', async () => {
    const { db, reads } = fakeDb({ acme: 1000 })
    const limiter = createRateLimiter({ db, defaultPerSecond: 20, settingCacheMs: 200 })
    await burst(limiter, 'acme', 50)
    expect(reads).toEqual(['acme'])
    await new Promise((r) => setTimeout(r, 250))
    await limiter.consumeWrite('acme')
    expect(reads).toEqual(['acme', 'acme'])
  })

  it('a new window gives the budget back', async () => {
    const limiter = createRateLimiter({ db: fakeDb({ acme: 2 }).db, defaultPerSecond: 20 })
    expect(await burst(limiter, 'acme', 5)).toBe(2)
    await new Promise((r) => setTimeout(r, 1050))
    expect(await burst(limiter, 'acme', 5)).toBe(2)
  })
})

describe('sign-in throttle (in process)', () => {
  const fail = async (t: ReturnType<typeof createSignInThrottle>, user: string, address: string, n: number) => {
    for (let i = 0; i < n; i++) {
      await t.before(user, address)
      await t.failed(user, address)
    }
  }

  it('refuses a user name after its failures, with the wait; other names go on', async () => {
    const t = createSignInThrottle({ perUser: 3, perAddress: 100, windowSeconds: 60 })
    await fail(t, 'alice', '10.0.0.1', 3)
    const refused = await t.before('alice', '10.0.0.2').catch((e) => e)
    expect(refused).toBeInstanceOf(ThrottledError)
    expect(refused.retryAfterSeconds).toBeGreaterThan(55)
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60)
    await expect(t.before('ALICE', '10.0.0.3')).rejects.toBeInstanceOf(ThrottledError) // same name, other case
    await expect(t.before('bob', '10.0.0.1')).resolves.toBeUndefined()
  })

  it('a success clears the user count', async () => {
    const t = createSignInThrottle({ perUser: 3, perAddress: 100, windowSeconds: 60 })
    await fail(t, 'alice', '10.0.0.1', 2)
    await t.succeeded('alice', '10.0.0.1')
    await fail(t, 'alice', '10.0.0.1', 2)
    await expect(t.before('alice', '10.0.0.1')).resolves.toBeUndefined()
  })

  it('refuses an address that sprays many names', async () => {
    const t = createSignInThrottle({ perUser: 100, perAddress: 5, windowSeconds: 60 })
    for (let i = 0; i < 5; i++) await fail(t, `user${i}`, '10.0.0.9', 1)
    await expect(t.before('fresh', '10.0.0.9')).rejects.toBeInstanceOf(ThrottledError)
    await expect(t.before('fresh', '10.0.0.10')).resolves.toBeUndefined()
  })
})

describe('configuration', () => {
  it('reads STOWAGE_PUSH_RATE_LIMIT and REDIS_URL, refusing bad values', () => {
    expect(loadConfig({})).toMatchObject({ pushRatePerSecond: 20, pushRateWindowSeconds: 1, redisUrl: null })
    expect(loadConfig({ STOWAGE_PUSH_RATE_WINDOW_SECONDS: '10' })).toMatchObject({ pushRateWindowSeconds: 10 })
    expect(() => loadConfig({ STOWAGE_PUSH_RATE_WINDOW_SECONDS: '0' })).toThrow(/STOWAGE_PUSH_RATE_WINDOW_SECONDS="0"/)
    expect(loadConfig({ STOWAGE_PUSH_RATE_LIMIT: '0', REDIS_URL: 'redis://127.0.0.1:6379/2' })).toMatchObject({ pushRatePerSecond: 0, redisUrl: 'redis://127.0.0.1:6379/2' })
    expect(() => loadConfig({ STOWAGE_PUSH_RATE_LIMIT: '-1' })).toThrow(/STOWAGE_PUSH_RATE_LIMIT="-1" must be an integer/)
    expect(() => loadConfig({ STOWAGE_PUSH_RATE_LIMIT: 'fast' })).toThrow(ConfigError)
    expect(() => loadConfig({ REDIS_URL: 'localhost:6379' })).toThrow(/REDIS_URL must be redis:\/\//)
  })

  it('an unreachable REDIS_URL is a start error naming it (password hidden)', async () => {
    const e = await openRedis('redis://:hunter2@127.0.0.1:1', () => {}).catch((err) => err)
    expect(e).toBeInstanceOf(ConfigError)
    expect(e.message).toMatch(/REDIS_URL=redis:\/\/:\*\*\*@127\.0\.0\.1:1 is not reachable \(.*ECONNREFUSED/)
    expect(e.message).not.toContain('hunter2')
  })

  it('the server does not start with an unreachable REDIS_URL (before starting anything else)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-redis-'))
    try {
      const e = await boot({ STOWAGE_DATA_DIR: dir, REDIS_URL: 'redis://127.0.0.1:1' }, () => {}).catch((err) => err)
      expect(e).toBeInstanceOf(ConfigError)
      expect(e.message).toMatch(/REDIS_URL=redis:\/\/127\.0\.0\.1:1 is not reachable/)
      expect(fs.existsSync(path.join(dir, 's3'))).toBe(false) // the embedded object store was not started
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
