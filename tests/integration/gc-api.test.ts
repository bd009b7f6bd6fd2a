// The console API of garbage collection (administrators): POST /api/gc (dry and real, 409 while another
// instance's run holds the lease), GET /api/gc/runs, GET /api/storage with figures checked against the
// rows, and the audit of real runs. SQLite and PostgreSQL, real server and s3rver, access enforced.
import { randomBytes } from 'node:crypto'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { providers } from '../helpers/stack'
import { startRegistry, request, sha256, OCI_MANIFEST, type Registry } from './oci-support'
import { seedUser, seedOrganization, basic } from '../helpers/accounts'
import { deleteTag } from '../../lib/registry/queries'
import { acquireLease } from '../../lib/db/leases'
import { GC_LEASE } from '../../lib/gc/run-gc'

const ADMIN = basic('admin')

describe.each(providers)('garbage collection API (%s)', (provider) => {
  let reg: Registry
  beforeAll(async () => {
    reg = await startRegistry(provider, { access: 'enforced' })
    reg.stack.lifecycle = { gcGraceSeconds: 0 }
    await seedUser(reg.stack.db, 'admin', { admin: true })
    await seedUser(reg.stack.db, 'member')
    await seedOrganization(reg.stack.db, 'acme', { member: 'owner' })
  }, 120_000)
  afterAll(async () => {
    await reg?.close()
  })

  const api = async (method: string, path: string, headers: Record<string, string> = ADMIN) => {
    const res = await request(`${reg.url}${path}`, { method, headers })
    return { status: res.status, body: await res.json() }
  }

  async function pushImage(repo: string, tag: string, layers: Buffer[]) {
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map(sha256) }, nonce: randomBytes(8).toString('hex') }))
    for (const b of [...layers, config]) {
      expect((await request(`${reg.url}/v2/${repo}/blobs/uploads/?digest=${sha256(b)}`, { method: 'POST', body: b, headers: ADMIN })).status).toBe(201)
    }
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
        layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(l), size: l.length })),
      }),
    )
    const res = await request(`${reg.url}/v2/${repo}/manifests/${tag}`, { method: 'PUT', body: manifest, headers: { ...ADMIN, 'Content-Type': OCI_MANIFEST } })
    expect(res.status).toBe(201)
    return { config, layers }
  }

  /** The storage figures computed straight from the rows. */
  async function figuresFromRows() {
    const { db } = reg.stack
    const blobs = await db.blob.findMany({ select: { digest: true, size: true } })
    const size = new Map(blobs.map((b) => [b.digest, Number(b.size)]))
    const links = await db.repositoryBlob.findMany({ select: { digest: true } })
    return {
      logicalBytes: links.reduce((n, l) => n + size.get(l.digest)!, 0),
      physicalBytes: blobs.reduce((n, b) => n + Number(b.size), 0),
      blobs: blobs.length,
      manifests: await db.manifest.count(),
      repositories: await db.repository.count(),
    }
  }

  it('answers the storage figures the rows give; a layer shared by two repositories counts twice logically, once physically', async () => {
    const shared = randomBytes(50_000)
    await pushImage('acme/app', 'v1', [shared, randomBytes(10_000)])
    await pushImage('acme/other', 'v1', [shared])
    const { status, body } = await api('GET', '/api/storage')
    expect(status).toBe(200)
    expect(body).toMatchObject({ ...(await figuresFromRows()), reclaimableBytes: 0, graceSeconds: 0, lastRun: null })
    expect(body.logicalBytes).toBeGreaterThanOrEqual(body.physicalBytes + shared.length)
  })

  it('POST /api/gc?dryRun=true answers what a run would free, per repository, and deletes nothing', async () => {
    const before = await figuresFromRows()
    const dropped = await pushImage('acme/app', 'drop', [randomBytes(20_000)])
    await deleteTag(reg.stack, 'acme/app', 'drop')
    const storage = (await api('GET', '/api/storage')).body
    const freeable = dropped.config.length + dropped.layers[0].length
    expect(storage.reclaimableBytes).toBe(freeable)

    const { status, body } = await api('POST', '/api/gc?dryRun=true')
    expect(status).toBe(200)
    expect(body).toMatchObject({ dryRun: true, trigger: 'manual', state: 'done', manifestsDeleted: 1, linksDeleted: 2, blobsDeleted: 2, objectsDeleted: 2, bytesFreed: freeable, errors: [] })
    expect(body.repositories).toEqual([{ repository: 'acme/app', manifests: 1, links: 2, blobs: 2, bytes: freeable }])
    expect(await figuresFromRows()).toEqual({ ...before, logicalBytes: before.logicalBytes + freeable, physicalBytes: before.physicalBytes + freeable, blobs: before.blobs + 2, manifests: before.manifests + 1 })
    expect(await reg.stack.db.auditEvent.count({ where: { action: 'gc.run' } })).toBe(0) // a dry run changes nothing: not audited
  })

  it('POST /api/gc?dryRun=false frees it, is audited, and the storage figures follow', async () => {
    const before = await figuresFromRows()
    const { status, body } = await api('POST', '/api/gc?dryRun=false')
    expect(status).toBe(200)
    expect(body).toMatchObject({ dryRun: false, state: 'done', manifestsDeleted: 1, blobsDeleted: 2, objectsDeleted: 2 })
    const after = await figuresFromRows()
    expect(after.physicalBytes).toBe(before.physicalBytes - body.bytesFreed)
    expect(after.manifests).toBe(before.manifests - 1)
    const storage = (await api('GET', '/api/storage')).body
    expect(storage).toMatchObject({ ...after, reclaimableBytes: 0 })
    expect(storage.lastRun).toMatchObject({ id: body.runId, dryRun: false, state: 'done', bytesFreed: body.bytesFreed, actor: 'admin' })

    const audit = await reg.stack.db.auditEvent.findMany({ where: { action: 'gc.run' } })
    expect(audit).toHaveLength(1)
    expect(audit[0]).toMatchObject({ actor: 'admin', outcome: 'ok', target: `gc run ${body.runId}` })
  })

  it('GET /api/gc/runs lists the runs newest first, with their counts', async () => {
    const { status, body } = await api('GET', '/api/gc/runs')
    expect(status).toBe(200)
    expect(body.runs.map((r: any) => r.dryRun)).toEqual([false, true])
    expect(body.runs[0]).toMatchObject({ trigger: 'manual', actor: 'admin', state: 'done', manifestsDeleted: 1, blobsDeleted: 2, errors: [] })
    expect(body.runs[0].id).toBeGreaterThan(body.runs[1].id)
    expect(new Date(body.runs[0].finishedAt).getTime()).toBeGreaterThanOrEqual(new Date(body.runs[0].startedAt).getTime())
    expect((await api('GET', '/api/gc/runs?limit=1')).body.runs).toHaveLength(1)
    expect((await api('GET', '/api/gc/runs?limit=0')).status).toBe(400)
  })

  it('answers 409 GC_RUNNING while another instance holds the lease, and runs once it is free', async () => {
    const other = await acquireLease(reg.stack.db, GC_LEASE, 60_000)
    expect(other).not.toBeNull()
    const { status, body } = await api('POST', '/api/gc?dryRun=false')
    expect(status).toBe(409)
    expect(body.error.code).toBe('GC_RUNNING')
    await other!.release()
    expect((await api('POST', '/api/gc?dryRun=true')).status).toBe(200)
  })

  it('refuses a malformed dryRun, and callers who are not administrators', async () => {
    expect((await api('POST', '/api/gc?dryRun=yes')).body.error.code).toBe('PARAMETER_INVALID')
    expect((await api('POST', '/api/gc?dryRun=false', basic('member'))).status).toBe(403)
    expect((await api('GET', '/api/storage', {})).status).toBe(401)
  })
})
