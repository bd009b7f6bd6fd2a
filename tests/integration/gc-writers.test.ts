// The writer side of online garbage collection, on its own (the collector is tested in gc-*.test.ts):
// every writer that reuses a row either keeps garbage collection off it until its commit (PostgreSQL row
// locks), or, when GC got there first, creates what it needs anew from its own object; links a client
// was just told about are kept through the push (touchedAt); every stored index records its children
// (ManifestChild); delete by digest removes a manifest at once, from the registry API and the console.
import { Readable } from 'node:stream'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { describe, it, expect } from 'vitest'
import { registryForTests, waitFor } from '../helpers/http-stack'
import { providers } from '../helpers/stack'
import { makeMultiPlatformArchive } from '../helpers/make-oci-archive'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { image, index, pushBlob, pushImage, putManifest, pullVerified, sha256, OCI_INDEX } from '../helpers/registry-client'
import { importArchive } from '../../lib/archive/import-archive'
import { commitPushedBlob, linkBlob, TOUCH_THROTTLE_MS } from '../../lib/oci/blob-links'
import { isRetryableConflict } from '../../lib/db/retryable'
import { insertRows } from '../../lib/registry/bulk-sql'
import { createSession } from '../../lib/oci/upload-session'
import { registerStaged } from '../../lib/registry/staging'
import type { Services } from '../../lib/services'

describe.each(providers)('garbage-collection guards of the writers (%s)', (provider) => {
  const reg = registryForTests(provider, { timeout: 120_000 })
  const db = () => reg.stack.db
  const api = (path: string, init: RequestInit = {}) => fetch(reg.url + path, init)
  const linkOf = (repo: string, digest: string) => db().repositoryBlob.findFirstOrThrow({ where: { digest, repository: { name: repo } } })
  const age = (repo: string, digest: string, ms: number) =>
    db().repositoryBlob.updateMany({ where: { digest, repository: { name: repo } }, data: { touchedAt: new Date(Date.now() - ms) } })

  it('treats a real foreign-key violation (typed and raw SQL) as "run the transaction again"', async () => {
    const repo = await db().repository.create({ data: { name: 'fk/probe' } })
    const missing = sha256(randomBytes(8))
    const typed = await db().repositoryBlob.create({ data: { repositoryId: repo.id, digest: missing } }).catch((e) => e)
    expect(typed).toBeInstanceOf(Error)
    expect(isRetryableConflict(typed)).toBe(true)
    const raw = await insertRows(db(), 'RepositoryBlob', [['repositoryId', 'int'], ['digest', 'text'], ['createdAt', 'timestamp'], ['touchedAt', 'timestamp']], [[repo.id, missing, new Date(), new Date()]]).catch((e) => e)
    expect(raw).toBeInstanceOf(Error)
    expect(isRetryableConflict(raw)).toBe(true)
    // and an ordinary error is not retried
    expect(isRetryableConflict(new Error('the manifest is invalid'))).toBe(false)
  })

  it('refreshes a link on HEAD (at most once a minute), on re-push and on mount', async () => {
    const layer = randomBytes(300)
    const digest = sha256(layer)
    expect((await pushBlob(reg.url, 'touch/a', layer)).status).toBe(201)

    // HEAD of a link older than the throttle: refreshed
    await age('touch/a', digest, 10 * 60_000)
    const before = Date.now()
    expect((await api(`/v2/touch/a/blobs/${digest}`, { method: 'HEAD' })).status).toBe(200)
    expect((await linkOf('touch/a', digest)).touchedAt.getTime()).toBeGreaterThanOrEqual(before - 5)
    // HEAD of a link touched within the throttle: left as it is (no write per request)
    await age('touch/a', digest, TOUCH_THROTTLE_MS / 2)
    const recent = (await linkOf('touch/a', digest)).touchedAt.getTime()
    expect((await api(`/v2/touch/a/blobs/${digest}`, { method: 'HEAD' })).status).toBe(200)
    expect((await linkOf('touch/a', digest)).touchedAt.getTime()).toBe(recent)

    // the same blob pushed again (no HEAD first): refreshed
    await age('touch/a', digest, 10 * 60_000)
    const repushed = Date.now()
    expect((await pushBlob(reg.url, 'touch/a', layer, { skipExisting: false })).status).toBe(201)
    expect((await linkOf('touch/a', digest)).touchedAt.getTime()).toBeGreaterThanOrEqual(repushed - 5)

    // mounted into another repository, and mounted again later: the new link is fresh, then refreshed
    const mount = () => api(`/v2/touch/b/blobs/uploads/?mount=${digest}&from=touch/a`, { method: 'POST' })
    expect((await mount()).status).toBe(201)
    await age('touch/b', digest, 10 * 60_000)
    const remounted = Date.now()
    expect((await mount()).status).toBe(201)
    expect((await linkOf('touch/b', digest)).touchedAt.getTime()).toBeGreaterThanOrEqual(remounted - 5)
  })

  it('a mount of a blob that is no longer stored starts a normal upload instead of failing', async () => {
    const layer = randomBytes(200)
    expect((await pushBlob(reg.url, 'gone/src', layer)).status).toBe(201)
    const services = { ...reg.stack } as Services
    // what garbage collection leaves after taking the blob: no row (the link went first)
    await db().repositoryBlob.deleteMany({ where: { digest: sha256(layer) } })
    await db().blob.delete({ where: { digest: sha256(layer) } })
    expect(await linkBlob(services, 'gone/dst', sha256(layer))).toBe(false)
    expect(await db().repositoryBlob.count({ where: { digest: sha256(layer) } })).toBe(0)
  })

  it('records the children of an index pushed through /v2/, and of an imported multi-platform archive', async () => {
    const amd = image([randomBytes(100)], 'amd')
    const arm = image([randomBytes(100)], 'arm', { os: 'linux', architecture: 'arm64' })
    for (const img of [amd, arm]) expect((await pushImage(reg.url, 'idx/pushed', img.digest, img)).status).toBe(201)
    const idx = index([
      { image: amd, architecture: 'amd64' },
      { image: arm, architecture: 'arm64' },
    ])
    expect((await putManifest(reg.url, 'idx/pushed', 'v1', idx.manifest, OCI_INDEX)).status).toBe(201)
    expect(await childrenOf('idx/pushed', idx.digest)).toEqual([amd.digest, arm.digest].sort())
    // pushed again (same bytes): no duplicate rows
    expect((await putManifest(reg.url, 'idx/pushed', 'v2', idx.manifest, OCI_INDEX)).status).toBe(201)
    expect(await childrenOf('idx/pushed', idx.digest)).toEqual([amd.digest, arm.digest].sort())

    const built = await makeMultiPlatformArchive({
      reference: 'idx/imported:1.0',
      platforms: [
        { architecture: 'amd64', layers: [{ size: 2_000, gzip: false }] },
        { architecture: 'arm64', layers: [{ size: 2_000, gzip: false }] },
      ],
    })
    const result = await importArchive(reg.stack, { body: Readable.from([built.archive]), filename: 'multi.tar' })
    const indexDigest = result.index!.digest
    const platformDigests = (await db().manifest.findMany({ where: { repository: { name: 'idx/imported' }, digest: { not: indexDigest } }, select: { digest: true } })).map((m) => m.digest).sort()
    expect(platformDigests).toHaveLength(2)
    expect(await childrenOf('idx/imported', indexDigest)).toEqual(platformDigests)
  })

  async function childrenOf(repo: string, digest: string) {
    const rows = await db().manifestChild.findMany({ where: { parent: { digest, repository: { name: repo } } }, select: { child: { select: { digest: true } } } })
    return rows.map((r) => r.child.digest).sort()
  }

  it('DELETE /v2/…/manifests/<digest> of a platform image: gone at once, the index no longer lists it', async () => {
    const amd = image([randomBytes(100)], 'v2-amd')
    const arm = image([randomBytes(100)], 'v2-arm', { os: 'linux', architecture: 'arm64' })
    for (const img of [amd, arm]) expect((await pushImage(reg.url, 'del/v2', img.digest, img)).status).toBe(201)
    const idx = index([
      { image: amd, architecture: 'amd64' },
      { image: arm, architecture: 'arm64' },
    ])
    expect((await putManifest(reg.url, 'del/v2', 'multi', idx.manifest, OCI_INDEX)).status).toBe(201)
    expect((await pushImage(reg.url, 'del/v2', 'single', amd)).status).toBe(201) // a tag on the child too

    expect((await api(`/v2/del/v2/manifests/${amd.digest}`, { method: 'DELETE' })).status).toBe(202)
    expect((await api(`/v2/del/v2/manifests/${amd.digest}`)).status).toBe(404)
    expect((await api(`/v2/del/v2/manifests/single`)).status).toBe(404)
    expect(await childrenOf('del/v2', idx.digest)).toEqual([arm.digest])
    // the index itself stays (as with other registries), and deleting it cascades its child rows
    expect((await api(`/v2/del/v2/manifests/${idx.digest}`, { method: 'DELETE' })).status).toBe(202)
    expect(await db().manifestChild.count({ where: { child: { digest: arm.digest } } })).toBe(0)
    expect((await api(`/v2/del/v2/manifests/${idx.digest}`, { method: 'DELETE' })).status).toBe(404)
  })

  it('DELETE /api/repositories/{name}/manifests/{digest}: 409 while an index lists it, 404 unknown, 200 with its tags, audited', async () => {
    const amd = image([randomBytes(100)], 'c-amd')
    const other = image([randomBytes(100)], 'c-other')
    for (const img of [amd, other]) expect((await pushImage(reg.url, 'del/console', img.digest, img)).status).toBe(201)
    const idx = index([{ image: amd, architecture: 'amd64' }])
    expect((await putManifest(reg.url, 'del/console', 'multi', idx.manifest, OCI_INDEX)).status).toBe(201)
    for (const tag of ['a', 'b']) expect((await putManifest(reg.url, 'del/console', tag, other.manifest)).status).toBe(201)

    const refused = await api(`/api/repositories/del/console/manifests/${amd.digest}`, { method: 'DELETE' })
    expect(refused.status).toBe(409)
    const body = await refused.json()
    expect(body.error.code).toBe('MANIFEST_IN_INDEX')
    expect(body.error.message).toContain(idx.digest)
    expect(body.error.detail).toEqual({ index: idx.digest })
    expect((await api(`/v2/del/console/manifests/${amd.digest}`)).status).toBe(200) // nothing changed

    const unknown = sha256('nothing')
    expect((await api(`/api/repositories/del/console/manifests/${unknown}`, { method: 'DELETE' })).status).toBe(404)
    expect((await api(`/api/repositories/no/such-repo/manifests/${unknown}`, { method: 'DELETE' })).status).toBe(404)

    const deleted = await api(`/api/repositories/del/console/manifests/${other.digest}`, { method: 'DELETE' })
    expect(deleted.status).toBe(200)
    expect(await deleted.json()).toEqual({ deleted: other.digest, tags: ['a', 'b'] })
    for (const ref of [other.digest, 'a', 'b']) expect((await api(`/v2/del/console/manifests/${ref}`)).status).toBe(404)
    const history = await db().tagEvent.findMany({ where: { repository: { name: 'del/console' }, action: 'delete' }, orderBy: { tag: 'asc' } })
    expect(history.map((e) => [e.tag, e.manifestDigest, e.source])).toEqual([
      ['a', other.digest, 'console'],
      ['b', other.digest, 'console'],
    ])
    const audit = await db().auditEvent.findFirstOrThrow({ where: { action: 'manifest.delete', target: `del/console@${other.digest}` } })
    expect(JSON.parse(audit.detail!)).toEqual({ via: 'console', tags: ['a', 'b'] })

    // once the index is deleted, its former child may go too
    expect((await api(`/api/repositories/del/console/manifests/${idx.digest}`, { method: 'DELETE' })).status).toBe(200)
    expect((await api(`/api/repositories/del/console/manifests/${amd.digest}`, { method: 'DELETE' })).status).toBe(200)
  })

  it('a repository emptied and deleted (as GC does) is recreated by the next import of the same image', async () => {
    const layers = [await makeLayer(3000)]
    const { archive } = await makeDockerArchive({ repoTags: ['reuse/app:1'], layers })
    await importArchive(reg.stack, { body: Readable.from([archive]) })
    const repo = await db().repository.findUniqueOrThrow({ where: { name: 'reuse/app' } })
    await db().tag.deleteMany({ where: { repositoryId: repo.id } })
    await db().manifest.deleteMany({ where: { repositoryId: repo.id } })
    await db().repository.delete({ where: { id: repo.id } })
    const again = await importArchive(reg.stack, { body: Readable.from([archive]) })
    expect(again.tags[0]).toMatchObject({ repository: 'reuse/app', tag: '1', status: 'created' })
    expect(await pullVerified(reg.url, 'reuse/app', '1')).toBeNull()
  })

  // ---- PostgreSQL: row locks and the races they decide (SQLite runs one transaction at a time)

  const onPg = provider === 'postgresql' ? it : it.skip

  /** A second connection, as another instance's garbage collection would have. */
  async function otherConnection() {
    const client = new pg.Client({ connectionString: reg.stack.databaseUrl })
    await client.connect()
    return client
  }

  /** Services whose transactions run `beforeCommit` after their work, inside the transaction (it still holds its locks). */
  function servicesWithHook(beforeCommit: () => Promise<void>): Services {
    const base = reg.stack.db
    const db = new Proxy(base, {
      get(target, prop, receiver) {
        if (prop !== '$transaction') return Reflect.get(target, prop, receiver)
        return (work: (tx: unknown) => Promise<unknown>, opts: unknown) =>
          (target.$transaction as any)(async (tx: unknown) => {
            const out = await work(tx)
            await beforeCommit()
            return out
          }, opts)
      },
    })
    return { ...reg.stack, db } as Services
  }

  /** Whether another connection can lock this Blob row for deletion right now (FOR UPDATE NOWAIT). */
  async function blobDeletableNow(client: pg.Client, digest: string): Promise<boolean> {
    await client.query('BEGIN')
    try {
      await client.query('SELECT 1 FROM "Blob" WHERE "digest" = $1 FOR UPDATE NOWAIT', [digest])
      return true
    } catch (e) {
      if ((e as { code?: string }).code === '55P03') return false // lock_not_available
      throw e
    } finally {
      await client.query('ROLLBACK')
    }
  }

  // The probes below re-commit what exists already (link, manifest), so no foreign-key check locks the
  // Blob row as a side effect: only the writer's own FOR KEY SHARE (lib/db/row-locks.ts) can hold it.
  onPg('a commit reusing a stored blob holds it FOR KEY SHARE from its read to its commit: GC cannot delete it in between', async () => {
    const layer = randomBytes(400)
    const digest = sha256(layer)
    expect((await pushBlob(reg.url, 'lock/src', layer)).status).toBe(201)
    expect((await api(`/v2/lock/mount/blobs/uploads/?mount=${digest}&from=lock/src`, { method: 'POST' })).status).toBe(201)
    const client = await otherConnection()
    try {
      const seen: boolean[] = []
      const hooked = servicesWithHook(async () => void seen.push(await blobDeletableNow(client, digest)))
      // the same blob pushed again (its new object would be discarded after the commit)
      // (its push session: the commit ends the session row, or refuses when expiry took it)
      const session = await createSession(reg.stack, 'lock/src')
      const key = await registerStaged(reg.stack, `blob-upload:${session.id}`)
      await reg.stack.store.write(key, layer)
      expect(await commitPushedBlob(hooked, { repository: 'lock/src', digest, size: layer.length, objectKey: key, sessionId: session.id })).toBe(false)
      // mounted again
      expect(await linkBlob(hooked, 'lock/mount', digest)).toBe(true)
      expect(seen).toEqual([false, false])
      // and once committed, nothing holds it
      expect(await blobDeletableNow(client, digest)).toBe(true)
    } finally {
      await client.end()
    }
  })

  onPg('an import reusing stored layers holds them FOR KEY SHARE until it commits', async () => {
    const { archive } = await makeDockerArchive({ repoTags: ['lock/import:1'], layers: [await makeLayer(2500)] })
    await importArchive(reg.stack, { body: Readable.from([archive]) })
    const reused = (await db().manifestBlob.findFirstOrThrow({ where: { role: 'layer', manifest: { repository: { name: 'lock/import' } } } })).digest
    const client = await otherConnection()
    try {
      const seen: boolean[] = []
      const hooked = servicesWithHook(async () => void seen.push(await blobDeletableNow(client, reused)))
      const again = await importArchive(hooked, { body: Readable.from([archive]) })
      expect(again.tags[0].status).toBe('unchanged')
      // the commit transaction found the row locked (the import's other transactions do not touch it)
      expect(seen).toContain(false)
    } finally {
      await client.end()
    }
  })

  onPg('a manifest push locks its repository before verifying its blobs: GC deletes of that repository wait', async () => {
    const img = image([randomBytes(100)], 'repo-lock')
    for (const b of [...img.layers, img.config]) expect((await pushBlob(reg.url, 'lock/manifest', b)).status).toBe(201)
    const client = await otherConnection()
    try {
      const seen: boolean[] = []
      const hooked = servicesWithHook(async () => {
        await client.query('BEGIN')
        try {
          await client.query(`SELECT 1 FROM "Repository" WHERE "name" = 'lock/manifest' FOR NO KEY UPDATE NOWAIT`)
          seen.push(true)
        } catch (e) {
          if ((e as { code?: string }).code !== '55P03') throw e
          seen.push(false)
        } finally {
          await client.query('ROLLBACK')
        }
      })
      const { storeManifest } = await import('../../lib/oci/manifest-store')
      const { parseManifest } = await import('../../lib/oci/manifest-parse')
      const parsed = parseManifest(img.manifest, 'application/vnd.oci.image.manifest.v1+json')
      // by digest: no tag moves (setTag would lock the repository anyway)
      await storeManifest(hooked, { repository: 'lock/manifest', parsed, bytes: img.manifest, digest: img.digest, tags: [] })
      expect(seen).toEqual([false])
    } finally {
      await client.end()
    }
  })

  /** Whether a session of this database waits for a lock (the push blocked on the row GC holds). */
  const waitingOnLock = async (client: pg.Client) =>
    ((await client.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rowCount ?? 0) > 0

  onPg('GC wins the race for a reused blob: the push waits, then creates the row anew from its own object', async () => {
    const layer = randomBytes(500)
    const digest = sha256(layer)
    expect((await pushBlob(reg.url, 'race/src', layer)).status).toBe(201)
    await db().repositoryBlob.deleteMany({ where: { digest } }) // unreferenced, collectable
    const oldKey = (await db().blob.findUniqueOrThrow({ where: { digest } })).objectKey
    const gc = await otherConnection()
    try {
      // GC's blob step: row locked, re-checked, deleted with a tombstone (committed below)
      await gc.query('BEGIN')
      await gc.query('SELECT 1 FROM "Blob" WHERE "digest" = $1 FOR UPDATE', [digest])
      // meanwhile a client pushes the same content again
      const pushing = pushBlob(reg.url, 'race/dst', layer, { skipExisting: false })
      await waitFor(async () => await waitingOnLock(gc), 'the push to wait for the row lock')
      await gc.query('DELETE FROM "Blob" WHERE "digest" = $1', [digest])
      await gc.query('INSERT INTO "ObjectTombstone" ("objectKey", "size") VALUES ($1, $2)', [oldKey, layer.length])
      await gc.query('COMMIT')
      expect((await pushing).status).toBe(201)
      await reg.stack.store.delete([oldKey]) // GC's objects step
      const row = await db().blob.findUniqueOrThrow({ where: { digest } })
      expect(row.objectKey).not.toBe(oldKey) // the push's own object, adopted
      const pulled = await api(`/v2/race/dst/blobs/${digest}`)
      expect(Buffer.from(await pulled.arrayBuffer()).equals(layer)).toBe(true)
    } finally {
      await gc.end()
    }
  })

  onPg('GC deletes the (empty) repository under a blob commit: the commit waits, fails on the foreign key, runs again and recreates it', async () => {
    const layer = randomBytes(600)
    const digest = sha256(layer)
    await db().repository.create({ data: { name: 'race/empty' } }) // nothing in it: GC's repositories step may delete it
    const gc = await otherConnection()
    try {
      await gc.query('BEGIN')
      await gc.query(`SELECT 1 FROM "Repository" WHERE "name" = 'race/empty' FOR NO KEY UPDATE`)
      const pushing = pushBlob(reg.url, 'race/empty', layer, { skipExisting: false })
      await waitFor(async () => await waitingOnLock(gc), 'the push to wait for the repository lock')
      await gc.query(`DELETE FROM "Repository" WHERE "name" = 'race/empty'`)
      await gc.query('COMMIT')
      expect((await pushing).status).toBe(201)
      const pulled = await api(`/v2/race/empty/blobs/${digest}`)
      expect(Buffer.from(await pulled.arrayBuffer()).equals(layer)).toBe(true)
    } finally {
      await gc.end()
    }
  })
})
