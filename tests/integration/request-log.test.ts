// The request log: one JSON line per request (lib/ops/exchange.ts) with its id, method, route pattern,
// status, bytes, duration, client and user, and never a credential the request carried (Basic password,
// bearer token, session cookie, query string).
import { describe, it, expect } from 'vitest'
import { registryForTests, waitFor } from '../helpers/http-stack'
import { providers } from '../helpers/stack'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'

type Line = Record<string, any>

describe.each(providers)('request log (%s)', (provider) => {
  const out: string[] = []
  const reg = registryForTests(provider, { log: (l) => out.push(l) })
  const records = () => out.map((l) => JSON.parse(l) as Line)
  const lineOf = (reqId: string) => waitFor(async () => records().find((r) => r.reqId === reqId), `the line of ${reqId}`)

  it('writes one parseable line per request with its fields, the id echoed to the client', async () => {
    const res = await fetch(`${reg.url}/api/repositories`, { headers: { 'X-Request-Id': 'trace-1' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-request-id')).toBe('trace-1')
    const line = await lineOf('trace-1')
    expect(line).toMatchObject({ level: 'info', msg: 'request', method: 'GET', route: '/api/repositories', path: '/api/repositories', status: 200, bytesIn: 0, client: '127.0.0.1', user: 'admin' })
    expect(line.bytesOut).toBeGreaterThan(Number(res.headers.get('content-length')))
    expect(Number.isInteger(line.durationMs)).toBe(true)
    expect(typeof line.time).toBe('string')
    // one line each
    for (const l of out) expect(l).not.toContain('\n')
  })

  it('records body bytes and the code of a rejected upload', async () => {
    const { archive } = await makeDockerArchive({ repoTags: ['log/image:1'], layers: [await makeLayer(100_000)] })
    const ok = await fetch(`${reg.url}/api/uploads?filename=a.tar`, { method: 'POST', body: new Uint8Array(archive) })
    expect(ok.status).toBe(201)
    expect(await lineOf(ok.headers.get('x-request-id')!)).toMatchObject({ route: '/api/uploads', status: 201, bytesIn: archive.length })
    const bad = await fetch(`${reg.url}/api/uploads?filename=b.tar`, { method: 'POST', body: new Uint8Array(Buffer.alloc(4096, 1)) })
    expect(bad.status).toBeGreaterThanOrEqual(400)
    const code = (await bad.json()).error.code
    expect(await lineOf(bad.headers.get('x-request-id')!)).toMatchObject({ route: '/api/uploads', status: bad.status, code })
  })

  it('names registry routes by pattern, never by repository or digest', async () => {
    const res = await fetch(`${reg.url}/v2/log/image/manifests/nope`)
    expect(res.status).toBe(404)
    expect(await lineOf(res.headers.get('x-request-id')!)).toMatchObject({ route: '/v2/*/manifests/*', path: '/v2/log/image/manifests/nope', status: 404 })
    const unknown = await fetch(`${reg.url}/api/nothing-here`)
    expect(await lineOf(unknown.headers.get('x-request-id')!)).toMatchObject({ route: 'api:unmatched', status: 404 })
  })

  it('writes successful load-balancer probes at debug level only, failed ones as warnings', async () => {
    const probe = await fetch(`${reg.url}/healthz`)
    const id = probe.headers.get('x-request-id')!
    await lineOf((await fetch(`${reg.url}/api/repositories`)).headers.get('x-request-id')!) // a later request is logged
    expect(records().some((r) => r.reqId === id)).toBe(false)
  })

  it('never logs a password, token, cookie or query string sent with a request', async () => {
    const secrets = {
      password: 'pa55-word-never-logged',
      token: 'bearer-token-never-logged',
      cookie: 'cookie-secret-never-logged',
      query: 'query-secret-never-logged',
    }
    const basic = Buffer.from(`admin:${secrets.password}`).toString('base64')
    const sent = [
      await fetch(`${reg.url}/api/repositories?token=${secrets.query}`, { headers: { Authorization: `Basic ${basic}` } }),
      await fetch(`${reg.url}/v2/_catalog?access_token=${secrets.query}`, { headers: { Authorization: `Bearer ${secrets.token}` } }),
      await fetch(`${reg.url}/api/repositories`, { headers: { Cookie: `stowage_session=${secrets.cookie}; other=${secrets.cookie}` } }),
      await fetch(`${reg.url}/v2/token?service=x&scope=repository:a/b:pull`, { headers: { Authorization: `Basic ${basic}` } }),
      await fetch(`${reg.url}/metrics?${secrets.query}`, { headers: { Authorization: `Bearer ${secrets.token}` } }),
    ]
    // every one was logged (the failed sign-ins too)
    for (const res of sent) await lineOf(res.headers.get('x-request-id')!)
    const text = out.join('\n')
    for (const s of [...Object.values(secrets), basic]) expect(text).not.toContain(s)
    expect(text).not.toMatch(/authorization|cookie/i)
  })
})
