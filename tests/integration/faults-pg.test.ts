// PostgreSQL going away under a running Stowage, through a TCP proxy (tests/helpers/pg-proxy.ts; the
// machine's shared server is never restarted): every connection reset at once (what a database restart
// does to its clients), new connections refused for a while, and the connection that carries an upload's
// commit cut in the middle of it. Each time: a clear error, nothing half-committed, and the next request
// works on the same Stowage process (the connection pool recovers) without a restart.
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { randomBytes } from 'node:crypto'
import { providers, startStack, snapshot, type Stack } from '../helpers/stack'
import { pgProxy, type PgProxy } from '../helpers/pg-proxy'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { openDatabase, type Db } from '../../lib/db/client'
import { listen, type RunningServer } from '../../lib/http/stowage-server'
import { runExpiry } from '../../lib/lifecycle/expire'
import { consoleUpload } from './faults-support'
import { request, sha256 } from './oci-support'

describe.skipIf(!providers.includes('postgresql'))('PostgreSQL connections reset under a running server', () => {
  let stack: Stack
  let proxy: PgProxy
  let db: Db
  let server: RunningServer
  beforeAll(async () => {
    stack = await startStack('postgresql')
    proxy = await pgProxy({ host: '127.0.0.1', port: Number(new URL(stack.databaseUrl).port || 5432) })
    // a 1 s connection timeout (the URL's connect_timeout) for the test of a server that never answers
    const url = new URL(proxy.urlFor(stack.databaseUrl))
    url.searchParams.set('connect_timeout', '1')
    db = await openDatabase(url.toString())
    server = await listen({ ...stack, db }, { port: 0, host: '127.0.0.1' })
  }, 60_000)
  afterAll(async () => {
    await server?.close()
    await db?.$disconnect()
    await proxy?.close()
    await stack?.close()
  })

  const upload = async (name: string) => consoleUpload(server.url, (await makeDockerArchive({ repoTags: [name], layers: [await makeLayer(50_000)] })).archive)

  it('every connection reset (a database restart): the next requests work on the same process', async () => {
    expect((await upload('pg/first:1')).status).toBe(201)
    proxy.resetAll()
    const after = await upload('pg/after-reset:1')
    expect(after.status, JSON.stringify(after.body)).toBe(201)
    expect((await fetch(`${server.url}/v2/pg/after-reset/tags/list`)).status).toBe(200)
  })

  it('the connection is cut while an upload commits: a clear error, nothing half-committed, the next upload works', async () => {
    const before = await snapshot(stack)
    // the import's commit transaction writes the tags with one INSERT; its connection dies right there
    void proxy.cutOn('INSERT INTO "Tag"')
    const cutsBefore = proxy.cuts
    const res = await upload('pg/cut:1')
    expect(proxy.cuts).toBe(cutsBefore + 1)
    expect(res.status).toBe(503)
    expect(res.body.error.code).toBe('DATABASE_UNAVAILABLE')
    expect(res.body.error.message).toMatch(/database/)
    expect(res.body.error.message).not.toMatch(/127\.0\.0\.1|:\d{4,5}/)
    const visible = await snapshot(stack)
    expect(visible.tags).toEqual(before.tags)
    expect(visible.repositories).toEqual(before.repositories)
    expect(visible.manifests).toBe(before.manifests)
    // its staged objects are gone at once, or once expiry has run
    await runExpiry({ ...stack, db, lifecycle: { stagedExpirySeconds: 0, multipartExpirySeconds: 0 } })
    expect((await snapshot(stack)).objects).toEqual(before.objects)
    expect((await upload('pg/cut:1')).status).toBe(201)
  })

  it('new connections refused for 2 s: requests meanwhile fail with 503, then work again', async () => {
    const refusing = proxy.refuseFor(2000)
    await new Promise((r) => setTimeout(r, 200))
    const blob = randomBytes(1000)
    const during = await request(`${server.url}/v2/pg/refused/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', body: blob })
    const body = await during.json()
    expect(during.status).toBe(503)
    expect(body.errors[0].code).toBe('UNAVAILABLE')
    expect(body.errors[0].message).toMatch(/database is not reachable/)
    expect(JSON.stringify(body)).not.toMatch(/127\.0\.0\.1|:\d{4,5}/)
    await refusing
    const again = await request(`${server.url}/v2/pg/refused/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', body: blob })
    expect(again.status).toBe(201)
  })

  it('a server that accepts connections and never answers: requests fail with 503 after the connect timeout, not hang', async () => {
    proxy.resetAll() // the pool's open connections go; new ones hang
    proxy.blackhole = true
    try {
      const res = await fetch(`${server.url}/v2/pg/first/tags/list`, { signal: AbortSignal.timeout(15_000) })
      const body = await res.json()
      expect(res.status).toBe(503)
      expect(body.errors[0].code).toBe('UNAVAILABLE')
    } finally {
      proxy.blackhole = false
    }
    proxy.resetAll()
    expect((await fetch(`${server.url}/v2/pg/first/tags/list`)).status).toBe(200)
  })
})
