// The limits of several instances on one PostgreSQL database without Redis (lib/limits/shared-counters.ts):
// two processes' limiters, each with its own connection pool, spend one budget of the push rate limit and
// one count of failed sign-ins; when PostgreSQL stops answering, the limiters count in process (still
// limited, never an error and never a request held). Over HTTP through nginx: cluster-nginx.test.ts.
import { randomBytes } from 'node:crypto'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import type pg from 'pg'
import { providers, startStack, type Stack } from '../helpers/stack'
import { tcpGate, type TcpGate } from '../helpers/tcp-gate'
import { createRateLimiter } from '../../lib/limits/rate-limit'
import { createSignInThrottle } from '../../lib/limits/sign-in-throttle'
import { openPostgresCounters } from '../../lib/limits/shared-counters'
import { ThrottledError } from '../../lib/auth/auth-settings'
import { EMBEDDED_STORE_WITH_POSTGRES } from '../../lib/boot'
import { startInstanceProcess } from '../helpers/instance-process'

// 30 s windows at 1 write/s: 30 writes per window, however slow the machine
const WINDOW = 30

describe.skipIf(!providers.includes('postgresql'))('limits shared through PostgreSQL (no Redis)', () => {
  let stack: Stack
  const pools: pg.Pool[] = []
  let gate: TcpGate | null = null
  const pool = (url: string, log?: (m: string) => void) => {
    const p = openPostgresCounters(url, log)!
    pools.push(p)
    return p
  }
  beforeAll(async () => {
    stack = await startStack('postgresql')
  }, 60_000)
  afterAll(async () => {
    for (const p of pools) await p.end().catch(() => {})
    await gate?.close()
    await stack?.close()
  })

  const organization = async (rate: number) => {
    const name = `org-${randomBytes(4).toString('hex')}`
    await stack.db.organization.create({ data: { name, pushRatePerSecond: rate } })
    return name
  }

  it('two limiters with their own pools spend one push budget', async () => {
    const [a, b] = [0, 1].map(() => createRateLimiter({ db: stack.db, defaultPerSecond: 0, windowSeconds: WINDOW, postgres: pool(stack.databaseUrl) }))
    const org = await organization(1)
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).consumeWrite(org)))
    expect(answers.filter((d) => d.allowed).length).toBe(WINDOW) // per process: 2 x 30 = all 40
    const refused = answers.find((d) => !d.allowed)
    expect(refused).toMatchObject({ allowed: false, perSecond: 1 })
    const rows = await stack.db.rateLimitCounter.findMany({ where: { key: { endsWith: `:${org}` } } })
    expect(rows.map((r) => r.points)).toEqual([40]) // one counter row, every request counted
  })

  it('two sign-in throttles count the failures of one user together', async () => {
    const [a, b] = [0, 1].map(() => createSignInThrottle({ postgres: pool(stack.databaseUrl), keyPrefix: `t-${randomBytes(3).toString('hex')}` }))
    // one prefix for both, as every instance uses the same
    const prefix = `t-${randomBytes(3).toString('hex')}`
    const [x, y] = [0, 1].map(() => createSignInThrottle({ postgres: pool(stack.databaseUrl), keyPrefix: prefix }))
    for (let i = 0; i < 10; i++) {
      const t = i % 2 ? x : y
      await t.before('victim', '10.0.0.1')
      await t.failed('victim', '10.0.0.1')
    }
    await expect(x.before('victim', '10.0.0.9')).rejects.toBeInstanceOf(ThrottledError)
    await expect(y.before('victim', '10.0.0.9')).rejects.toBeInstanceOf(ThrottledError)
    await expect(y.before('someone-else', '10.0.0.9')).resolves.toBeUndefined()
    // throttles with other prefixes (other deployments on the same database) are not affected
    await expect(a.before('victim', '10.0.0.1')).resolves.toBeUndefined()
    await expect(b.before('victim', '10.0.0.1')).resolves.toBeUndefined()
  })

  it('a PostgreSQL outage falls back to counting in process: still limited, never an error', async () => {
    const u = new URL(stack.databaseUrl)
    gate = await tcpGate({ host: u.hostname, port: Number(u.port || 5432) })
    u.host = `127.0.0.1:${gate.port}`
    const lines: string[] = []
    const limiter = createRateLimiter({ db: stack.db, defaultPerSecond: 0, windowSeconds: WINDOW, postgres: pool(u.toString(), (m) => lines.push(m)), log: (m) => lines.push(m) })
    const org = await organization(1)
    expect((await limiter.consumeWrite(org)).allowed).toBe(true) // counted in PostgreSQL
    expect(await stack.db.rateLimitCounter.count({ where: { key: { endsWith: `:${org}` } } })).toBe(1)

    await gate.close() // connections cut and refused, as when the database goes away
    const during = await Promise.all(Array.from({ length: WINDOW + 3 }, () => limiter.consumeWrite(org)))
    expect(during.filter((d) => d.allowed).length).toBe(WINDOW) // the in-process insurance limits
    expect(during.filter((d) => !d.allowed).length).toBe(3)
    await gate.open()
  })

  it('an instance on PostgreSQL with the embedded object store says that several instances need a shared bucket', async () => {
    const instance = await startInstanceProcess({ DATABASE_URL: stack.databaseUrl, STOWAGE_ADMIN_PASSWORD: 'counters-test-admin-password' })
    try {
      const messages = instance.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l).msg)
      expect(messages).toContain(EMBEDDED_STORE_WITH_POSTGRES)
      expect(messages).toContain('rate limits and sign-in throttling are shared through PostgreSQL (REDIS_URL is not set)')
    } finally {
      await instance.stop()
    }
  }, 90_000)
})
