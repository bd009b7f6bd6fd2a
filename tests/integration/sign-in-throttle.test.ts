// Sign-in throttling over real HTTP (Basic credentials on the console API and /v2/), SQLite and
// PostgreSQL, counted in real Redis: after 10 wrong passwords for a user the 11th attempt is refused
// with 429 before the password is looked at (even the right one), other users sign in as before,
// and a success clears the count.
import { randomBytes } from 'node:crypto'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { providers } from '../helpers/stack'
import { seedUser, basic, PASSWORD } from '../helpers/accounts'
import { startRegistry, type Registry } from '../helpers/http-stack'
import { createSignInThrottle, SIGN_IN_DEFAULTS } from '../../lib/limits/sign-in-throttle'
import { openRedis, type Redis } from '../../lib/limits/redis'
import type { Db } from '../../lib/db/client'

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
const WRONG = 'not the password at all'

/** The database, with every user lookup by name recorded (a password check starts with one). */
function recordingUserLookups(db: Db, lookups: string[]): Db {
  const user = new Proxy(db.user, {
    get(target, prop, receiver) {
      if (prop === 'findUnique') {
        return (args: { where: { name?: string } }) => {
          if (args.where.name) lookups.push(args.where.name)
          return target.findUnique(args as never)
        }
      }
      return Reflect.get(target, prop, receiver)
    },
  })
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'user') return user
      const value = Reflect.get(target, prop)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

describe.each(providers)('sign-in throttling (%s)', (provider) => {
  let reg: Registry
  let redis: Redis
  const prefix = `stowage-test-${randomBytes(6).toString('hex')}`
  const lookups: string[] = []
  const api = (headers: Record<string, string>) => fetch(`${reg.url}/api/repositories`, { headers })

  beforeAll(async () => {
    reg = await startRegistry(provider, { access: 'enforced' })
    redis = await openRedis(REDIS_URL, () => {})
    reg.stack.auth!.signInThrottle = createSignInThrottle({ redis, keyPrefix: prefix }) // the defaults: 10 per user, 50 per address, 15 min
    for (const name of ['alice', 'bob', 'carol', 'dave']) await seedUser(reg.stack.db, name)
    reg.stack.db = recordingUserLookups(reg.stack.db, lookups)
  })
  afterAll(async () => {
    await reg?.close()
    if (redis) {
      const keys = await redis.keys(`${prefix}*`)
      if (keys.length) await redis.del(...keys)
      redis.disconnect()
    }
  })

  it('the 11th attempt after 10 wrong passwords is refused without checking the password, even the right one', async () => {
    expect(SIGN_IN_DEFAULTS.perUser).toBe(10)
    for (let i = 0; i < 10; i++) expect((await api(basic('alice', WRONG))).status).toBe(401)
    expect(lookups.filter((n) => n === 'alice')).toHaveLength(10)

    const refused = await api(basic('alice', PASSWORD))
    expect(refused.status).toBe(429)
    expect((await refused.json()).error.code).toBe('TOO_MANY_REQUESTS')
    const retryAfter = Number(refused.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(800)
    expect(retryAfter).toBeLessThanOrEqual(900)
    expect(lookups.filter((n) => n === 'alice')).toHaveLength(10) // no lookup, so no password check
  })

  it('is per user: another user signs in while the first is throttled', async () => {
    expect((await api(basic('alice', PASSWORD))).status).toBe(429)
    expect((await api(basic('bob', PASSWORD))).status).toBe(200)
    expect((await api(basic('bob', WRONG))).status).toBe(401)
  })

  it('/v2/ answers a throttled user 429 TOOMANYREQUESTS with Retry-After', async () => {
    const res = await fetch(`${reg.url}/v2/`, { headers: basic('alice', PASSWORD) })
    expect(res.status).toBe(429)
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(800)
    expect((await res.json()).errors[0].code).toBe('TOOMANYREQUESTS')
    // an unthrottled user: Basic credentials work on /v2/ as before
    expect((await fetch(`${reg.url}/v2/`, { headers: basic('dave', PASSWORD) })).status).toBe(200)
  })

  it('a success clears the count: 9 wrong, 1 right, then 10 more wrong are still checked', async () => {
    for (let i = 0; i < 9; i++) expect((await api(basic('carol', WRONG))).status).toBe(401)
    expect((await api(basic('carol', PASSWORD))).status).toBe(200)
    const statuses = []
    for (let i = 0; i < 10; i++) statuses.push((await api(basic('carol', WRONG))).status)
    expect(statuses).toEqual(Array(10).fill(401))
    expect((await api(basic('carol', PASSWORD))).status).toBe(429)
  })

  it('counts in Redis, so every instance refuses the throttled user', async () => {
    const other = createSignInThrottle({ redis, keyPrefix: prefix }) // a second process's throttle
    await expect(other.before('alice', '192.0.2.1')).rejects.toMatchObject({ name: 'ThrottledError' })
    await expect(other.before('bob', '192.0.2.1')).resolves.toBeUndefined()
  })
})
