// Operations: /healthz (process up), /readyz (database and bucket reachable, each bounded by a timeout;
// 503 naming what failed, recovering when it is back), /metrics (Prometheus text: values after known
// uploads, pushes, pulls, jobs and a GC run; who may read it), on a real server over SQLite and PostgreSQL.
import net from 'node:net'
import { once } from 'node:events'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { registryForTests, waitFor } from '../helpers/http-stack'
import { providers, type Stack } from '../helpers/stack'
import { tcpGate } from '../helpers/tcp-gate'
import { parseMetrics, valueOf, hasSample } from '../helpers/prometheus-text'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { sha256 } from '../helpers/registry-client'
import { listen, type RunningServer } from '../../lib/http/stowage-server'
import { createOps } from '../../lib/ops/ops'
import { openS3Store } from '../../lib/storage/open-store'
import { S3BlobStore, createS3Client } from '../../lib/storage/s3-blob-store'
import { openDatabase } from '../../lib/db/client'
import { parseTrustedProxies } from '../../lib/http/client-address'
import { startJobs, type RunningJobs } from '../../lib/jobs/start-jobs'
import { runGc } from '../../lib/gc/run-gc'
import type { Services } from '../../lib/services'

const CHECK_MS = 1500
const s3Settings = (endpoint: string) => ({ endpoint, bucket: 'layers', region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true })

async function json(res: Response) {
  return { status: res.status, body: await res.json() }
}

/** A server on `services` for one test; closed by the returned function. */
async function serve(services: Services): Promise<RunningServer> {
  return listen(services, { port: 0, host: '127.0.0.1' })
}

describe.each(providers)('operations endpoints (%s)', (provider) => {
  let services: Services
  const reg = registryForTests(provider, {
    services: (stack) => (services = { ...stack, lifecycle: { gcGraceSeconds: 0 }, ops: createOps({ checkTimeoutMs: CHECK_MS }) }),
  })
  const scrape = async (url = reg.url, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}/metrics`, { headers })
    expect(res.status, await res.clone().text()).toBe(200)
    return parseMetrics(await res.text())
  }

  it('/healthz answers 200 without touching the database, with a request id', async () => {
    const res = await fetch(`${reg.url}/healthz`)
    expect(await json(res)).toEqual({ status: 200, body: { status: 'ok' } })
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(res.headers.get('cache-control')).toBe('no-store')
    // a sane incoming id is kept, an odd one replaced
    expect((await fetch(`${reg.url}/healthz`, { headers: { 'X-Request-Id': 'lb-42.abc' } })).headers.get('x-request-id')).toBe('lb-42.abc')
    expect((await fetch(`${reg.url}/healthz`, { headers: { 'X-Request-Id': 'x'.repeat(200) } })).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    expect((await fetch(`${reg.url}/healthz`, { method: 'HEAD' })).status).toBe(200)
    expect((await fetch(`${reg.url}/healthz`, { method: 'POST' })).status).toBe(405)
    // the process is up even when the database is not: /healthz does not look
    const server = await serve({ ...services, db: await openDatabase('postgresql://nobody@127.0.0.1:1/none') })
    try {
      expect(await json(await fetch(`${server.url}/healthz`))).toEqual({ status: 200, body: { status: 'ok' } })
    } finally {
      await server.close()
    }
  })

  it('/readyz answers 200 with both checks, and nothing about where they are', async () => {
    const res = await fetch(`${reg.url}/readyz`)
    const text = await res.text()
    expect(res.status).toBe(200)
    const body = JSON.parse(text)
    expect(body).toMatchObject({ status: 'ready', failed: [], checks: { database: { ok: true }, bucket: { ok: true } } })
    for (const secret of ['127.0.0.1', 'S3RVER', 'postgres', reg.stack.s3Endpoint]) expect(text).not.toContain(secret)
  })

  it('/readyz answers 503 naming the bucket while the object store is away, and 200 once it is back', async () => {
    const gate = await tcpGate({ host: '127.0.0.1', port: Number(new URL(reg.stack.s3Endpoint).port) })
    const server = await serve({ ...services, store: await openS3Store(s3Settings(gate.url('http'))) })
    try {
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200)
      await gate.close()
      const down = await json(await fetch(`${server.url}/readyz`))
      expect(down).toMatchObject({ status: 503, body: { status: 'unavailable', failed: ['bucket'], checks: { database: { ok: true }, bucket: { ok: false, problem: 'not reachable' } } } })
      await gate.open()
      await waitFor(async () => (await fetch(`${server.url}/readyz`)).status === 200, '/readyz to recover')
    } finally {
      await server.close()
      await gate.close()
    }
  })

  it('/readyz names a bucket that does not exist, and a store that never answers within the timeout', async () => {
    const missing = new S3BlobStore(createS3Client(s3Settings(reg.stack.s3Endpoint)), 'no-such-bucket')
    // accepts connections and never answers
    const silent = net.createServer(() => {})
    silent.listen(0, '127.0.0.1')
    await once(silent, 'listening')
    const silentUrl = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`
    const servers = [await serve({ ...services, store: missing }), await serve({ ...services, store: new S3BlobStore(createS3Client(s3Settings(silentUrl)), 'layers') })]
    try {
      expect(await json(await fetch(`${servers[0].url}/readyz`))).toMatchObject({ status: 503, body: { failed: ['bucket'], checks: { bucket: { problem: 'the bucket does not exist' } } } })
      expect(await json(await fetch(`${servers[1].url}/readyz`))).toMatchObject({ status: 503, body: { failed: ['bucket'], checks: { database: { ok: true }, bucket: { problem: `no answer within ${CHECK_MS} ms` } } } })
    } finally {
      for (const s of servers) await s.close()
      silent.close()
    }
  })

  it.runIf(provider === 'postgresql')('/readyz answers 503 naming the database while PostgreSQL is away, and 200 once it is back', async () => {
    const url = new URL(reg.stack.databaseUrl)
    const gate = await tcpGate({ host: url.hostname, port: Number(url.port || 5432) })
    url.port = String(gate.port)
    const db = await openDatabase(url.toString())
    const server = await serve({ ...services, db })
    try {
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200)
      await gate.close()
      const down = await json(await fetch(`${server.url}/readyz`))
      expect(down).toMatchObject({ status: 503, body: { failed: ['database'], checks: { database: { ok: false }, bucket: { ok: true } } } })
      expect(JSON.stringify(down.body)).not.toContain(String(gate.port))
      await gate.open()
      await waitFor(async () => (await fetch(`${server.url}/readyz`)).status === 200, '/readyz to recover')
    } finally {
      await server.close()
      await db.$disconnect()
      await gate.close()
    }
  })

  it('/readyz answers 503 naming the database for a PostgreSQL URL to a closed port', async () => {
    const db = await openDatabase('postgresql://stowage@127.0.0.1:1/stowage')
    const server = await serve({ ...services, db })
    try {
      expect(await json(await fetch(`${server.url}/readyz`))).toMatchObject({ status: 503, body: { failed: ['database'], checks: { database: { ok: false, problem: expect.any(String) }, bucket: { ok: true } } } })
    } finally {
      await server.close()
      await db.$disconnect()
    }
  })

  describe('/metrics', () => {
    let jobs: RunningJobs
    beforeAll(async () => {
      jobs = await startJobs(services, { databaseUrl: reg.stack.databaseUrl, measureConcurrency: 1, schedule: false, local: { pollMs: 50 }, pgBoss: { pollingIntervalSeconds: 0.5, stopTimeoutMs: 5000 }, log: () => {} })
    })
    afterAll(async () => {
      await jobs?.stop()
    })

    it('counts uploaded, pushed and pulled bytes, requests by route pattern, import durations', async () => {
      const before = await scrape()
      const { archive } = await makeDockerArchive({ repoTags: ['metrics/console:1'], layers: [await makeLayer(300_000)] })
      expect((await fetch(`${reg.url}/api/uploads?filename=m.tar`, { method: 'POST', body: new Uint8Array(archive) })).status).toBe(201)
      // a monolithic push and a chunked one (POST, PATCH, PUT with the last chunk)
      const blob = await makeLayer(200_000)
      expect((await fetch(`${reg.url}/v2/metrics/push/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', body: new Uint8Array(blob) })).status).toBe(201)
      const chunked = await makeLayer(150_000)
      const started = await fetch(`${reg.url}/v2/metrics/push/blobs/uploads/`, { method: 'POST' })
      const location = new URL(started.headers.get('location')!, reg.url)
      const patched = await fetch(location, { method: 'PATCH', body: new Uint8Array(chunked.subarray(0, 100_000)), headers: { 'Content-Range': '0-99999' } })
      expect(patched.status).toBe(202)
      const finish = new URL(patched.headers.get('location')!, reg.url)
      finish.searchParams.set('digest', sha256(chunked))
      expect((await fetch(finish, { method: 'PUT', body: new Uint8Array(chunked.subarray(100_000)) })).status).toBe(201)
      // two pulls of the pushed blob, one of them a range
      expect((await fetch(`${reg.url}/v2/metrics/push/blobs/${sha256(blob)}`)).status).toBe(200)
      const range = await fetch(`${reg.url}/v2/metrics/push/blobs/${sha256(blob)}`, { headers: { Range: 'bytes=0-999' } })
      expect(range.status).toBe(206)
      expect((await range.arrayBuffer()).byteLength).toBe(1000)
      expect((await fetch(`${reg.url}/v2/metrics/push/blobs/${sha256(blob)}`, { method: 'HEAD' })).status).toBe(200)

      const after = await scrape()
      const delta = (name: string, labels: Record<string, string> = {}) => valueOf(after, name, labels) - valueOf(before, name, labels)
      expect(delta('stowage_upload_bytes_total', { via: 'console' })).toBe(archive.length)
      expect(delta('stowage_upload_bytes_total', { via: 'registry' })).toBe(blob.length + chunked.length)
      expect(delta('stowage_pull_bytes_total')).toBe(blob.length + 1000)
      expect(delta('stowage_archive_import_duration_seconds_count', { outcome: 'imported' })).toBe(1)
      expect(delta('stowage_http_requests_total', { route: '/api/uploads', method: 'POST', status: '201' })).toBe(1)
      expect(delta('stowage_http_requests_total', { route: '/v2/*/blobs/uploads/', method: 'POST', status: '201' })).toBe(1)
      expect(delta('stowage_http_requests_total', { route: '/v2/*/blobs/uploads/*', method: 'PATCH', status: '202' })).toBe(1)
      expect(delta('stowage_http_requests_total', { route: '/v2/*/blobs/*', method: 'GET', status: '200' })).toBe(1)
      expect(delta('stowage_http_requests_total', { route: '/v2/*/blobs/*', method: 'GET', status: '206' })).toBe(1)
      expect(delta('stowage_http_request_duration_seconds_count', { route: '/v2/*/blobs/*', method: 'HEAD' })).toBe(1)
      // bounded labels: no repository name, digest or upload id in any series
      const routes = new Set(after.filter((s) => s.labels.route).map((s) => s.labels.route))
      for (const r of routes) expect(r).not.toMatch(/metrics\/|sha256|[0-9a-f]{16}/)
      expect(routes).toContain('/metrics')
      // process metrics (the client library's defaults)
      expect(hasSample(after, 'process_resident_memory_bytes')).toBe(true)
      expect(hasSample(after, 'nodejs_eventloop_lag_seconds')).toBe(true)
    })

    it('reports the job queue depth per kind and state', async () => {
      await services.jobs!.send('retention.run', {}, { startAfterSeconds: 3600 })
      const m = await scrape()
      expect(valueOf(m, 'stowage_metrics_collector_up', { collector: 'jobs' })).toBe(1)
      expect(valueOf(m, 'stowage_jobs', { kind: 'retention.run', state: 'queued' })).toBe(1)
      for (const kind of ['blob.measure', 'gc.run', 'retention.run', 'expiry.run']) for (const state of ['queued', 'active', 'failed', 'completed']) expect(hasSample(m, 'stowage_jobs', { kind, state }), `${kind} ${state}`).toBe(true)
    })

    it('counts the bytes garbage collection freed, and shows the last run', async () => {
      const lone = await makeLayer(123_456)
      expect((await fetch(`${reg.url}/v2/metrics/gc/blobs/uploads/?digest=${sha256(lone)}`, { method: 'POST', body: new Uint8Array(lone) })).status).toBe(201)
      const before = await scrape()
      const dry = await runGc(services, { dryRun: true, trigger: 'manual' })
      const result = await runGc(services, { dryRun: false, trigger: 'manual' })
      expect(dry.bytesFreed).toBeGreaterThanOrEqual(lone.length)
      expect(result.bytesFreed).toBe(dry.bytesFreed)
      const after = await scrape()
      // dry runs free nothing and are not counted
      expect(valueOf(after, 'stowage_gc_freed_bytes_total') - valueOf(before, 'stowage_gc_freed_bytes_total')).toBe(result.bytesFreed)
      expect(valueOf(after, 'stowage_gc_runs_total', { state: 'done' }) - valueOf(before, 'stowage_gc_runs_total', { state: 'done' })).toBe(1)
      expect(valueOf(after, 'stowage_gc_last_run_freed_bytes')).toBe(result.bytesFreed)
      expect(valueOf(after, 'stowage_gc_last_run_objects_deleted')).toBe(result.objectsDeleted)
      expect(valueOf(after, 'stowage_gc_last_run_failed')).toBe(0)
      expect(valueOf(after, 'stowage_gc_last_run_finished_timestamp_seconds')).toBe(Date.parse(result.finishedAt) / 1000)
    })

    it('is served to direct local connections only when no token is set', async () => {
      const res = await fetch(`${reg.url}/metrics`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
      // through a proxy (a forwarding header) it is refused, and so from a peer that is a trusted proxy
      const forwarded = await fetch(`${reg.url}/metrics`, { headers: { 'X-Forwarded-For': '203.0.113.9' } })
      expect(forwarded.status).toBe(403)
      expect(await forwarded.text()).toContain('STOWAGE_METRICS_TOKEN')
      const proxied = await serve({ ...services, network: { trustedProxies: parseTrustedProxies('127.0.0.1') } })
      try {
        expect((await fetch(`${proxied.url}/metrics`)).status).toBe(403)
        // health and readiness stay open: load balancers call them
        expect((await fetch(`${proxied.url}/healthz`, { headers: { 'X-Forwarded-For': '203.0.113.9' } })).status).toBe(200)
        expect((await fetch(`${proxied.url}/readyz`, { headers: { 'X-Forwarded-For': '203.0.113.9' } })).status).toBe(200)
      } finally {
        await proxied.close()
      }
    })

    it('needs the bearer token from everywhere once STOWAGE_METRICS_TOKEN is set', async () => {
      const token = 'metrics-token-0123456789abcdef'
      const server = await serve({ ...services, ops: createOps({ metricsToken: token }) })
      try {
        const none = await fetch(`${server.url}/metrics`)
        expect(none.status).toBe(401)
        expect(none.headers.get('www-authenticate')).toBe('Bearer realm="metrics"')
        expect(await none.text()).not.toContain(token)
        expect((await fetch(`${server.url}/metrics`, { headers: { Authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401)
        expect((await fetch(`${server.url}/metrics`, { headers: { Authorization: `Basic ${Buffer.from(`admin:${token}`).toString('base64')}` } })).status).toBe(401)
        const ok = await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${token}`, 'X-Forwarded-For': '203.0.113.9' } })
        expect(ok.status).toBe(200)
        expect(parseMetrics(await ok.text()).length).toBeGreaterThan(10)
      } finally {
        await server.close()
      }
    })
  })
})

export type { Stack }
