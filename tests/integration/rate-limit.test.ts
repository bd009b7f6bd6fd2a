// The per-organization push rate limit over real HTTP, SQLite and PostgreSQL, real Redis: a burst of
// writes into a limited organization gets 429 with Retry-After on /v2/ (TOOMANYREQUESTS) and the
// console API (TOO_MANY_REQUESTS) while another organization and every read go on; two instances
// spend one budget through Redis; a Redis outage falls back to counting in process. The skopeo load
// test is rate-limit-skopeo.test.ts.
import net from 'node:net'
import { randomBytes, createHash } from 'node:crypto'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { providers } from '../helpers/stack'
import { seedUser, seedOrganization, seedToken, bearer } from '../helpers/accounts'
import { startRegistry, type Registry } from './oci-support'
import { listen } from '../../lib/http/stowage-server'
import { createRateLimiter } from '../../lib/limits/rate-limit'
import { createRedisClient, openRedis, type Redis } from '../../lib/limits/redis'
import type { Services } from '../../lib/services'

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * The counting window of these tests: 2 s at 5 writes/s = 10 writes per window. Longer than the
 * default second so that a burst of 20 requests surely falls in one window on a loaded machine; the
 * same code and stores as 1 s windows (tests/unit/limits.test.ts runs those).
 */
const WINDOW_SECONDS = 2
const RATE = 5
const BUDGET = RATE * WINDOW_SECONDS

type Answer = { status: number; retryAfter: string | null; code: string | null }

async function send(url: string, init: RequestInit): Promise<Answer> {
  const res = await fetch(url, init)
  const body = await res.text()
  let code: string | null = null
  try {
    const json = JSON.parse(body)
    code = json.errors?.[0]?.code ?? json.error?.code ?? null
  } catch {}
  return { status: res.status, retryAfter: res.headers.get('retry-after'), code }
}

const burst = (n: number, one: (i: number) => Promise<Answer>) => Promise.all(Array.from({ length: n }, (_, i) => one(i)))
const count = (answers: Answer[], status: number) => answers.filter((a) => a.status === status).length
const retryAfterOk = (a: Answer) => Number(a.retryAfter) >= 1 && Number(a.retryAfter) <= WINDOW_SECONDS

describe.each(providers)('push rate limit (%s)', (provider) => {
  let reg: Registry
  let token: string
  let orgs = 0
  const auth = () => bearer(token)
  const startUpload = (base: string, repo: string) => send(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: auth() })
  /** the cheapest write (no such manifest: 404 when allowed), so bursts stay short */
  const deleteManifest = (base: string, repo: string) => send(`${base}/v2/${repo}/manifests/sha256:${'0'.repeat(64)}`, { method: 'DELETE', headers: auth() })
  const limiter = (redis: Redis | null = null, keyPrefix?: string) => createRateLimiter({ db: reg.stack.db, defaultPerSecond: 20, windowSeconds: WINDOW_SECONDS, redis, keyPrefix })

  /** A new organization limited to RATE writes/s where alice pushes: its budget is untouched. */
  async function freshOrganization(rate: number | null = RATE) {
    const name = `org${++orgs}`
    await seedOrganization(reg.stack.db, name, { alice: 'push' })
    if (rate !== null) await reg.stack.db.organization.update({ where: { name }, data: { pushRatePerSecond: rate } })
    return name
  }

  /**
   * Runs a scenario whose counted requests must all fall in one window: a run that took longer proves
   * nothing exact, so it runs again on a fresh organization.
   */
  async function inOneWindow<T>(scenario: (org: string) => Promise<T>, attempts = 5): Promise<T> {
    for (let i = 0; i < attempts; i++) {
      const org = await freshOrganization()
      const started = Date.now()
      const result = await scenario(org)
      if (Date.now() - started < WINDOW_SECONDS * 1000) return result
    }
    throw new Error(`no run of the scenario fit in ${WINDOW_SECONDS} s in ${attempts} attempts (machine too loaded)`)
  }

  beforeAll(async () => {
    reg = await startRegistry(provider, { access: 'enforced', services: (stack) => stack })
    reg.stack.rateLimit = limiter()
    await seedUser(reg.stack.db, 'alice')
    token = await seedToken(reg.stack.db, 'alice', { access: 'push' }) // a token: no argon2 per request in the bursts
    const warm = await freshOrganization(null)
    await Promise.all([startUpload(reg.url, `${warm}/app`), deleteManifest(reg.url, `${warm}/app`), send(`${reg.url}/api/repositories/${warm}%2Fapp/tags/x`, { method: 'DELETE', headers: auth() })])
  })
  afterAll(async () => {
    await reg?.close()
  })

  it('/v2: a burst into a limited organization gets 429 TOOMANYREQUESTS with Retry-After; another organization is unaffected', async () => {
    const other = await freshOrganization(null) // the default: 20/s
    const [limited, unaffected] = await inOneWindow((org) => Promise.all([burst(20, () => deleteManifest(reg.url, `${org}/app`)), burst(15, () => deleteManifest(reg.url, `${other}/app`))]))
    expect(count(limited, 404)).toBe(BUDGET)
    expect(count(limited, 429)).toBe(20 - BUDGET)
    for (const a of limited.filter((x) => x.status === 429)) {
      expect(a.code).toBe('TOOMANYREQUESTS')
      expect(retryAfterOk(a)).toBe(true)
    }
    expect(unaffected.map((a) => a.status)).toEqual(Array(15).fill(404))
  })

  it('/v2: starting uploads beyond the rate is refused; an upload admitted before finishes', async () => {
    const data = randomBytes(1000)
    const digest = 'sha256:' + createHash('sha256').update(data).digest('hex')
    const statuses = await inOneWindow(async (org) => {
      const started = await fetch(`${reg.url}/v2/${org}/app/blobs/uploads/`, { method: 'POST', headers: auth() })
      const more = await burst(BUDGET + 2, () => startUpload(reg.url, `${org}/app`))
      const patched = await fetch(new URL(started.headers.get('location')!, reg.url), { method: 'PATCH', headers: { ...auth(), 'Content-Type': 'application/octet-stream' }, body: data })
      const finish = new URL(patched.headers.get('location')!, reg.url)
      finish.searchParams.set('digest', digest)
      const finished = await fetch(finish, { method: 'PUT', headers: auth() })
      const after = await startUpload(reg.url, `${org}/app`)
      return { started: started.status, refused: count(more, 429), patched: patched.status, finished: finished.status, after: after.status }
    })
    // the budget was spent by the burst (1 + BUDGET - 1 admitted, 3 refused); the admitted session's chunk and finish still went through
    expect(statuses).toEqual({ started: 202, refused: 3, patched: 202, finished: 201, after: 429 })
  })

  it('reads are never limited, even while writes are refused', async () => {
    const [writes, reads] = await inOneWindow(async (org) => {
      const writes = await burst(BUDGET + 5, () => deleteManifest(reg.url, `${org}/app`))
      const reads = await burst(10, (i) => send(i % 2 ? `${reg.url}/v2/${org}/app/tags/list` : `${reg.url}/api/repositories/${org}%2Fapp/tags`, { headers: auth() }))
      return [writes, reads]
    })
    expect(count(writes, 429)).toBe(5)
    expect(reads.filter((a) => a.status === 429)).toEqual([])
    expect(new Set(reads.map((a) => a.status))).toEqual(new Set([404])) // nothing pushed: unknown, but answered
  })

  it('/api: tag deletions beyond the rate get 429 TOO_MANY_REQUESTS with Retry-After', async () => {
    const answers = await inOneWindow((org) => burst(20, (i) => send(`${reg.url}/api/repositories/${org}%2Fapp/tags/v${i}`, { method: 'DELETE', headers: auth() })))
    // allowed ones reach the deletion (no such tag: 404); the rest are refused before it
    expect(count(answers, 404)).toBe(BUDGET)
    expect(count(answers, 429)).toBe(20 - BUDGET)
    for (const a of answers.filter((x) => x.status === 429)) {
      expect(a.code).toBe('TOO_MANY_REQUESTS')
      expect(retryAfterOk(a)).toBe(true)
    }
  })

  it('/api: uploads and tag changes share the budget with /v2 writes', async () => {
    const [v2, upload, putTag] = await inOneWindow(async (org) => {
      const v2 = await burst(BUDGET, () => deleteManifest(reg.url, `${org}/app`))
      const upload = await send(`${reg.url}/api/uploads?organization=${org}`, { method: 'POST', headers: auth(), body: Buffer.from('not an archive') })
      const putTag = await send(`${reg.url}/api/repositories/${org}%2Fapp/tags/v1`, { method: 'PUT', headers: { ...auth(), 'Content-Type': 'application/json' }, body: '{}' })
      return [v2, upload, putTag]
    })
    expect(v2.map((a) => a.status)).toEqual(Array(BUDGET).fill(404))
    for (const a of [upload, putTag]) {
      expect(a.status).toBe(429)
      expect(a.code).toBe('TOO_MANY_REQUESTS')
      expect(retryAfterOk(a)).toBe(true)
    }
  })

  it('refused callers do not spend the budget: an unauthorized burst leaves the organization its writes', async () => {
    const [anonymous, writes] = await inOneWindow(async (org) => {
      const anonymous = await burst(20, () => send(`${reg.url}/v2/${org}/app/manifests/sha256:${'0'.repeat(64)}`, { method: 'DELETE' }))
      return [anonymous, await burst(BUDGET, () => deleteManifest(reg.url, `${org}/app`))]
    })
    expect(new Set(anonymous.map((a) => a.status))).toEqual(new Set([401]))
    expect(writes.map((a) => a.status)).toEqual(Array(BUDGET).fill(404))
  })

  describe('two instances', () => {
    const prefix = `stowage-test-${randomBytes(6).toString('hex')}`
    const clients: Redis[] = []
    const closers: (() => Promise<void>)[] = []
    afterAll(async () => {
      for (const close of closers) await close()
      if (clients[0]) {
        const keys = await clients[0].keys(`${prefix}*`)
        if (keys.length) await clients[0].del(...keys)
      }
      for (const c of clients) c.disconnect()
    })

    /** Another server on the same database and store with its own limiter (what a second process has). */
    async function instance(redis: Redis | null): Promise<string> {
      const services: Services = { ...reg.stack, rateLimit: limiter(redis, prefix) }
      const server = await listen(services, { port: 0, host: '127.0.0.1' })
      closers.push(server.close)
      return server.url
    }
    const key = (org: string) => `${prefix}:push:${RATE}:${WINDOW_SECONDS}s:${org}`

    it('share one budget through Redis', async () => {
      for (let i = 0; i < 2; i++) clients.push(await openRedis(REDIS_URL, () => {}))
      const [a, b] = [await instance(clients[0]), await instance(clients[1])]
      const [first, second, org] = await inOneWindow(async (org) => [await burst(BUDGET, () => deleteManifest(a, `${org}/app`)), await burst(5, () => deleteManifest(b, `${org}/app`)), org] as const)
      expect(first.map((x) => x.status)).toEqual(Array(BUDGET).fill(404))
      expect(second.map((x) => x.status)).toEqual(Array(5).fill(429)) // the window `first` opened is still open
      expect(await clients[0].exists(key(org))).toBe(1)
    })

    it('without Redis each counts alone (what the shared test would see if nothing were shared)', async () => {
      const [a, b] = [await instance(null), await instance(null)]
      const [first, second] = await inOneWindow(async (org) => [await burst(BUDGET, () => deleteManifest(a, `${org}/app`)), await burst(5, () => deleteManifest(b, `${org}/app`))])
      expect([...first, ...second].map((x) => x.status)).toEqual(Array(BUDGET + 5).fill(404))
    })

    it('a Redis outage falls back to counting in process: still limited, never an error', async () => {
      // a TCP relay to Redis that the test cuts, as a network failure would
      const target = new URL(REDIS_URL)
      const sockets = new Set<net.Socket>()
      const relay = net.createServer((downstream) => {
        const upstream = net.connect(Number(target.port || 6379), target.hostname)
        for (const s of [downstream, upstream]) {
          sockets.add(s)
          s.on('error', () => {})
          s.on('close', () => sockets.delete(s))
        }
        downstream.pipe(upstream).pipe(downstream)
      })
      await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r))
      const lines: string[] = []
      const client = createRedisClient(`redis://127.0.0.1:${(relay.address() as net.AddressInfo).port}`, (m) => lines.push(m))
      clients.push(client)
      await client.connect()
      const url = await instance(client)

      const [before, org] = await inOneWindow(async (org) => [await burst(BUDGET + 3, () => deleteManifest(url, `${org}/app`)), org] as const)
      expect(count(before, 404)).toBe(BUDGET)
      expect(await clients[0].exists(key(org))).toBe(1) // counted in Redis

      await new Promise<void>((r) => {
        relay.close(() => r())
        for (const s of sockets) s.destroy()
      })
      for (let i = 0; i < 100 && client.status === 'ready'; i++) await sleep(20)
      expect(client.status).not.toBe('ready')
      // inOneWindow also shows that nothing waits on the dead link
      const during = await inOneWindow((org) => burst(BUDGET + 3, () => deleteManifest(url, `${org}/app`)))
      expect(count(during, 404)).toBe(BUDGET) // the in-process insurance limits
      expect(count(during, 429)).toBe(3)
      expect(lines.join('\n')).toMatch(/redis: .*count in this process until it is back/) // said once, in the server log
    })
  })
})
