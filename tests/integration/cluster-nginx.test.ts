// Issue 12: two Stowage instances behind a real load balancer (Debian's nginx, round robin) on one
// PostgreSQL database and one bucket. Through nginx, at once: console archive uploads, skopeo pushes,
// chunked pushes whose chunks land on both instances, pulls, tag and manifest deletes and garbage
// collection with no grace period racing the pushes; afterwards nothing is lost (every image a client was
// told it stored pulls byte-exact), doubled (one row and one object per blob, one tag per name) or left
// behind (after a final collection: no object without a row, no row without its object, no open upload).
// And the limits that must be shared are: sign-in throttling and the push rate limit count the sum over
// both instances (in PostgreSQL: no REDIS_URL is set).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { randomBytes } from 'node:crypto'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { providers } from '../helpers/stack'
import { hasNginx } from '../helpers/nginx'
import { hasSkopeo } from '../helpers/optional'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { seedOrganization, seedUser, PASSWORD } from '../helpers/accounts'
import { unnamedObjects } from '../helpers/gc-instances'
import { blobsWithoutObject } from '../helpers/registry-client'
import { waitFor } from '../helpers/http-stack'
import { startCluster, linesOf, ociImage, pushImageChunked, pullChecked, plainLayers, api, ADMIN, ADMIN_PASSWORD, OCI_ACCEPT, sha256, type Cluster } from './cluster-support'

const run = promisify(execFile)
const KiB = 1024
const MiB = 1024 * KiB
const enabled = providers.includes('postgresql') && hasNginx() && hasSkopeo()

describe.skipIf(!enabled)('two instances behind nginx on one PostgreSQL and one bucket', () => {
  let c: Cluster
  let work: string
  beforeAll(async () => {
    // no REDIS_URL: the limits must count in PostgreSQL; grace 0: everything unreferenced is collectable at once
    // 10 s rate windows: a burst surely falls in one window even on a loaded machine
    c = await startCluster({ STOWAGE_PUSH_RATE_LIMIT: '0', STOWAGE_PUSH_RATE_WINDOW_SECONDS: '10', STOWAGE_GC_GRACE_SECONDS: '0' })
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-cluster-'))
  }, 180_000)
  afterAll(async () => {
    await c?.close()
    if (work) fs.rmSync(work, { recursive: true, force: true })
  })

  it('a chunked push alternates between the instances; each chunk continues the session the other instance stored', async () => {
    // sequential requests: nginx's round robin sends them to the instances in turn; 9 MiB in 3 MiB chunks
    // crosses the 8 MiB part size, so a part is assembled from a tail object the other instance wrote
    const img = ociImage('cl/chunks', '1', [randomBytes(9 * MiB + 12345)])
    const pushed = await pushImageChunked(c.url, img, 3 * MiB)
    expect(pushed.answer).toMatchObject({ status: 201 })
    const session = pushed.sessions[0]
    const perInstance = linesOf(c).map((lines) => lines.filter((l) => l.path.endsWith(session)).map((l) => `${l.method} ${l.status}`))
    console.log(`requests of upload session ${session}: ${perInstance.map((r, i) => `instance ${i}: ${r.join(', ')}`).join('; ')}`)
    for (const requests of perInstance) expect(requests.filter((r) => r === 'PATCH 202').length).toBeGreaterThan(0)
    const pulled = await pullChecked(c.url, 'cl/chunks', '1')
    expect(pulled.digest).toBe(img.digest)
    expect(pulled.layers[0].equals(img.layers[0])).toBe(true)
  }, 120_000)

  it('uploads, pushes, pulls, deletes and garbage collection through both at once: nothing lost, doubled or left behind', async () => {
    const { db } = c.stack
    // ---- before: images to pull and to delete while the rest goes on
    const small = () => randomBytes(200 * KiB + Math.floor(Math.random() * 1000))
    const read = ociImage('cl/read', '1', [randomBytes(1 * MiB), small()])
    const doomedTag = ociImage('cl/del-tag', 'a', [small()])
    const keptTag = ociImage('cl/del-tag', 'b', [small()])
    const doomedDigest = ociImage('cl/del-digest', '1', [small()])
    for (const img of [read, doomedTag, keptTag, doomedDigest]) expect((await pushImageChunked(c.url, img, 256 * KiB)).answer).toMatchObject({ status: 201 })

    // ---- what the clients send at once
    const shared = await makeLayer(300 * KiB) // in two archives and two chunked pushes: one blob, one object
    const uploadLayers = [[await makeLayer(1 * MiB), shared], [await makeLayer(700 * KiB), shared]]
    const archives = await Promise.all(uploadLayers.map((layers, i) => makeDockerArchive({ repoTags: [`cl/up${i + 1}:1`], layers })))
    const skopeoLayers = [[await makeLayer(256 * KiB), await makeLayer(300 * KiB, 'text')], [await makeLayer(400 * KiB)]]
    const skopeoFiles = await Promise.all(
      skopeoLayers.map(async (layers, i) => {
        const file = path.join(work, `sk${i + 1}.tar`)
        fs.writeFileSync(file, (await makeDockerArchive({ repoTags: [`cl/sk${i + 1}:1`], layers })).archive)
        return file
      }),
    )
    const chunked = [ociImage('cl/ch1', '1', [randomBytes(9 * MiB), shared]), ociImage('cl/ch2', '1', [shared, small()])]

    const problems: string[] = []
    let pushesDone = 0
    const gcRuns: { status: number; body: any }[] = []
    const gc = async () => {
      const res = await api(`${c.url}/api/gc?dryRun=false`, { method: 'POST' })
      gcRuns.push({ status: res.status, body: await res.json() })
    }
    let pushAttempts = 0 // beyond the first: pushes a collection refused (MANIFEST_BLOB_UNKNOWN) and a client sent again
    const push = async (work: () => Promise<string | null>) => {
      const problem = await work()
      if (problem) problems.push(problem)
      pushesDone++
    }
    const skopeoPush = async (file: string, ref: string) => {
      // a push refused because collection took a blob before its manifest arrived is pushed again, as a user would
      let last = ''
      for (let attempt = 1; attempt <= 4; attempt++) {
        try {
          await run('skopeo', ['copy', '--retry-times', '2', '--dest-tls-verify=false', '--dest-creds', `${ADMIN}:${ADMIN_PASSWORD}`, `docker-archive:${file}`, `docker://${c.host}/${ref}`], { timeout: 90_000 })
          return null
        } catch (e) {
          last = (e as { stderr?: string }).stderr ?? String(e)
          if (!/blob unknown|MANIFEST_BLOB_UNKNOWN/i.test(last)) break
          pushAttempts++
        }
      }
      return `skopeo ${ref}: ${last.slice(-400)}`
    }
    const started = Date.now()
    await Promise.all([
      // console archive uploads
      ...archives.map((a, i) =>
        push(async () => {
          const res = await api(`${c.url}/api/uploads`, { method: 'POST', body: a.archive, headers: { 'content-type': 'application/x-tar' } })
          const body = await res.text()
          return res.status === 201 ? null : `upload cl/up${i + 1}: ${res.status} ${body.slice(0, 300)}`
        }),
      ),
      // skopeo pushes (POST, PATCH and PUT of each blob go wherever nginx sends them)
      ...skopeoFiles.map((file, i) => push(() => skopeoPush(file, `cl/sk${i + 1}:1`))),
      // chunked pushes: 3 MiB chunks of the 9 MiB layer, 64 KiB chunks of the small ones
      ...chunked.map((img, i) =>
        push(async () => {
          const r = await pushImageChunked(c.url, img, i === 0 ? 3 * MiB : 64 * KiB, 4)
          pushAttempts += r.attempts - 1
          return r.answer.status === 201 ? null : `push ${img.repo}: ${r.answer.status} ${r.answer.code} ${r.answer.message}`
        }),
      ),
      // pulls, byte-exact
      ...Array.from({ length: 4 }, async () => {
        const p = await pullChecked(c.url, read.repo, read.tag)
        if (p.digest !== read.digest || !p.layers.every((l, i) => l.equals(read.layers[i]))) problems.push('a pull of cl/read:1 differs from what was pushed')
      }),
      // a tag delete and a delete by digest
      (async () => {
        const res = await api(`${c.url}/v2/cl/del-tag/manifests/a`, { method: 'DELETE' })
        if (res.status !== 202) problems.push(`delete tag cl/del-tag:a: ${res.status}`)
      })(),
      (async () => {
        const res = await api(`${c.url}/v2/cl/del-digest/manifests/${doomedDigest.digest}`, { method: 'DELETE' })
        if (res.status !== 202) problems.push(`delete cl/del-digest@${doomedDigest.digest}: ${res.status}`)
      })(),
      // garbage collection with no grace period racing the pushes: once early, once after the first push finished
      (async () => {
        await new Promise((r) => setTimeout(r, 300))
        await gc()
        while (pushesDone === 0) await new Promise((r) => setTimeout(r, 100))
        await gc()
      })(),
    ])
    console.log(`concurrent phase: ${((Date.now() - started) / 1000).toFixed(1)} s; pushes sent again: ${pushAttempts}; gc runs: ${gcRuns.map((r) => (r.status === 200 ? `${r.body.state} (${r.body.blobsDeleted} blobs, ${r.body.objectsDeleted} objects)` : `${r.status} ${r.body.code}`)).join(', ')}`)
    expect(problems).toEqual([])
    expect(gcRuns.every((r) => (r.status === 200 && r.body.state === 'done') || (r.status === 409 && r.body.code === 'GC_RUNNING'))).toBe(true)
    expect(gcRuns.some((r) => r.status === 200)).toBe(true)

    // ---- requests of one upload session were served by both instances (the JSON request lines of each)
    const sessionsOn = linesOf(c).map((lines) => new Set(lines.filter((l) => l.method === 'PATCH').map((l) => l.path.split('/').pop()!)))
    const split = [...sessionsOn[0]].filter((id) => sessionsOn[1].has(id))
    console.log(`upload sessions whose PATCH chunks landed on both instances: ${split.length} of ${new Set([...sessionsOn[0], ...sessionsOn[1]]).size}`)
    expect(split.length).toBeGreaterThan(0)

    // ---- a final collection, then: everything a client was told it stored pulls byte-exact
    await gc()
    expect(gcRuns.at(-1)).toMatchObject({ status: 200, body: { state: 'done' } })
    await Promise.all([
      ...[read, keptTag, ...chunked].map(async (img) => {
        const p = await pullChecked(c.url, img.repo, img.tag)
        expect(p.digest).toBe(img.digest)
        expect(p.layers.every((l, i) => l.equals(img.layers[i]))).toBe(true)
      }),
      ...archives.map(async (a, i) => {
        const p = await pullChecked(c.url, `cl/up${i + 1}`, '1')
        expect(p.manifest.config.digest).toBe(a.configDigest)
        expect(plainLayers(p).map(sha256)).toEqual(uploadLayers[i].map(sha256))
      }),
      ...skopeoLayers.map(async (layers, i) => {
        const p = await pullChecked(c.url, `cl/sk${i + 1}`, '1') // gzip layers as skopeo sent them; their tars are the originals
        expect(plainLayers(p).map(sha256)).toEqual(layers.map(sha256))
      }),
    ])
    // ... every deleted one is gone
    for (const [repo, ref] of [['cl/del-tag', 'a'], ['cl/del-digest', '1'], ['cl/del-digest', doomedDigest.digest]]) {
      expect((await api(`${c.url}/v2/${repo}/manifests/${ref}`, { headers: { Accept: OCI_ACCEPT } })).status).toBe(404)
    }
    // ... the tags are exactly those
    const tags = await db.tag.findMany({ select: { name: true, repository: { select: { name: true } } } })
    expect(tags.map((t) => `${t.repository.name}:${t.name}`).sort()).toEqual(
      ['cl/chunks:1', 'cl/read:1', 'cl/del-tag:b', 'cl/up1:1', 'cl/up2:1', 'cl/sk1:1', 'cl/sk2:1', 'cl/ch1:1', 'cl/ch2:1'].sort(),
    )
    // ... nothing doubled: one row per blob digest and one object per row; one manifest row per repository and digest
    const blobs = await db.blob.findMany({ select: { digest: true, objectKey: true, _count: { select: { manifestRefs: true } } } })
    expect(new Set(blobs.map((b) => b.digest)).size).toBe(blobs.length)
    expect(new Set(blobs.map((b) => b.objectKey)).size).toBe(blobs.length)
    expect(blobs.filter((b) => b.digest === sha256(shared))).toHaveLength(1)
    const manifests = await db.manifest.findMany({ select: { repositoryId: true, digest: true } })
    expect(new Set(manifests.map((m) => `${m.repositoryId} ${m.digest}`)).size).toBe(manifests.length)
    // (the background layer index builds of the last pushes finish first: their objects are being written)
    await waitFor(async () => (await db.layerIndex.count({ where: { state: { in: ['pending', 'building'] } } })) === 0, 'the layer indexes to be built', 60_000)
    // ... nothing left behind: every blob referenced, every object named by a row, every row's object there
    expect(blobs.filter((b) => b._count.manifestRefs === 0).map((b) => b.digest)).toEqual([])
    expect(await unnamedObjects(c.stack)).toEqual([])
    expect(await blobsWithoutObject(c.stack)).toEqual([])
    const objects: string[] = []
    for await (const o of c.stack.store.list('')) objects.push(o.key)
    // one object per blob, plus the layer indexes built from them (lib/layers)
    const indexes = await c.stack.db.layerIndex.count({ where: { objectKey: { not: null } } })
    expect(objects.length).toBe(blobs.length + indexes)
    expect(await db.upload.count({ where: { state: 'receiving' } })).toBe(0)
    expect(await db.blobUploadSession.count()).toBe(0)
    expect(await db.stagedObject.count()).toBe(0)
    expect(await db.multipartUpload.count()).toBe(0)
  }, 240_000) // 50-85 s measured on a 2-core machine at load 20-36 (other test runs); generous on purpose

  it('sign-in throttling and the push rate limit count the requests of both instances together', async () => {
    const { db } = c.stack
    // sign-in: 10 failed attempts per user name per 15 minutes, counted over both instances
    await seedUser(db, 'victim')
    const statuses: number[] = []
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${c.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'victim', password: `wrong-${i}` }) })
      statuses.push(res.status)
      await res.arrayBuffer()
    }
    const failedPer = linesOf(c, { route: '/api/session', status: 401 }).map((l) => l.length)
    console.log(`sign-in attempts through nginx: ${statuses.join(' ')}; 401s per instance: ${failedPer.join(' + ')}`)
    expect(failedPer.every((n) => n > 0)).toBe(true) // both instances counted failures
    expect(statuses).toEqual([...Array(10).fill(401), 429, 429]) // per process, each would allow 10

    // push rate limit: 1 write request per second for the organization, whichever instance gets it; in
    // 10 s windows: 10 writes per window
    await seedOrganization(db, 'limited')
    await db.organization.update({ where: { name: 'limited' }, data: { pushRatePerSecond: 1 } })
    const started = Date.now()
    const burst = await Promise.all(
      Array.from({ length: 24 }, async (_, i) => {
        // a write (counted) that changes nothing: deleting a manifest that does not exist answers 404
        const res = await api(`${c.url}/v2/limited/app/manifests/none-${i}`, { method: 'DELETE' })
        await res.arrayBuffer()
        return res.status
      }),
    )
    const seconds = (Date.now() - started) / 1000
    const allowed = burst.filter((s) => s === 404).length
    const refusedPer = linesOf(c, { status: 429 }).map((l) => l.filter((x) => x.path.startsWith('/v2/limited/')).length)
    console.log(`24 concurrent writes at 1/s (10 s windows) through nginx in ${seconds.toFixed(2)} s: ${allowed} allowed, 429s per instance ${refusedPer.join(' + ')}`)
    expect(burst.every((s) => s === 404 || s === 429)).toBe(true)
    expect(refusedPer.every((n) => n > 0)).toBe(true)
    // a window starts at the first write: a burst shorter than the window gets exactly its 10 writes, a
    // longer one (a very loaded machine) at most 10 more; counted per process, each instance would allow 10
    if (seconds < 10) expect(allowed).toBe(10)
    else expect(allowed).toBeLessThanOrEqual(20)
    const counters = await db.rateLimitCounter.findMany({ where: { key: { endsWith: ':limited' } } })
    expect(counters.length).toBe(1) // counted in PostgreSQL
  }, 120_000)
})
