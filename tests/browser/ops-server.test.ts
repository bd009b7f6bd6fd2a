// Operations on the real process (`npm start`, embedded S3 + SQLite): every output line is a JSON record
// (start-up messages and request lines alike), health and readiness answer, /metrics wants its token,
// and no credential the administrator's requests carried appears in the output.
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startFullServer, ADMIN_PASSWORD, adminAuth, type FullServer } from '../helpers/full-server'
import { requestLines } from '../helpers/log-lines'
import { parseMetrics, valueOf } from '../helpers/prometheus-text'
import { waitFor } from '../helpers/http-stack'

const TOKEN = 'full-server-metrics-token-0123456789'

describe('operations of the running server', () => {
  let server: FullServer
  beforeAll(async () => {
    server = await startFullServer({ env: { STOWAGE_METRICS_TOKEN: TOKEN } })
  }, 120_000)
  afterAll(async () => {
    await server?.stop()
  })

  it('answers /healthz and /readyz without credentials', async () => {
    const health = await fetch(`${server.url}/healthz`)
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ status: 'ok' })
    const ready = await fetch(`${server.url}/readyz`)
    expect(ready.status).toBe(200)
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { database: { ok: true }, bucket: { ok: true } } })
  })

  it('serves /metrics with STOWAGE_METRICS_TOKEN only', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401)
    // an administrator's credentials are not the metrics token
    expect((await fetch(`${server.url}/metrics`, { headers: { Authorization: adminAuth } })).status).toBe(401)
    await server.fetch('/api/repositories')
    const res = await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } })
    expect(res.status).toBe(200)
    const m = parseMetrics(await res.text())
    expect(valueOf(m, 'stowage_http_requests_total', { route: '/api/repositories', method: 'GET', status: '200' })).toBeGreaterThanOrEqual(1)
    // the scheduled jobs of a real start run on the in-process queue
    expect(valueOf(m, 'stowage_metrics_collector_up', { collector: 'jobs' })).toBe(1)
  })

  it('writes JSON lines only: start-up messages and one line per request, without credentials', async () => {
    const res = await server.fetch('/api/repositories', { headers: { 'X-Request-Id': 'full-server-1' } })
    expect(res.status).toBe(200)
    const [line] = await waitFor(async () => {
      const found = requestLines(server.output(), { reqId: 'full-server-1' })
      return found.length ? found : null
    }, 'the request line')
    expect(line).toMatchObject({ method: 'GET', route: '/api/repositories', status: 200, user: 'admin', client: '127.0.0.1' })
    const out = server.output()
    const records = out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l))
    expect(records.find((r) => /^Stowage listening on http:\/\/127\.0\.0\.1:\d+ /.test(r.msg))).toMatchObject({ level: 'info' })
    expect(records.some((r) => /embedded S3 server at/.test(r.msg))).toBe(true)
    // the server's lines are all JSON; the launcher (scripts/start.mjs) prints nothing on a start without a build
    const plain = out.split('\n').filter((l) => l.trim() && !l.startsWith('{'))
    expect(plain).toEqual([])
    for (const secret of [ADMIN_PASSWORD, adminAuth.slice('Basic '.length), server.session!.value, TOKEN]) expect(out).not.toContain(secret)
  })
})
