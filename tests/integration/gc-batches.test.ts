// Garbage collection in bounded batches (issue 12): each candidate query looks at one key range of about
// `gcBatchRows` rows instead of recomputing the live set of the whole catalog. With a tiny batch size a
// catalog of a dozen repositories (index cascades, nested indexes, referrers, layers shared across
// repositories) is split into many ranges, and the run must decide exactly as with one range: the same
// dry-run answer, and a real run that keeps and frees exactly the expected rows. Real s3rver, SQLite and
// PostgreSQL.
import { createHash, randomBytes } from 'node:crypto'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { providers, startStack, type Stack } from '../helpers/stack'
import { newObjectKey } from '../../lib/registry/staging'
import { runGc, type GcResult } from '../../lib/gc/run-gc'
import { deadBlobs, deadLinks, deadManifests, emptyRepositories } from '../../lib/gc/candidates'

const REPOSITORIES = 12
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
const sha256 = (s: string | Buffer) => 'sha256:' + createHash('sha256').update(s).digest('hex')

describe.each(providers)('garbage collection in key-range batches (%s)', (provider) => {
  let stack: Stack
  const old = new Date(Date.now() - 7 * 24 * 3600 * 1000)
  /** manifest digests that must survive / go, blob digests likewise */
  const kept = { manifests: [] as string[], blobs: [] as string[] }
  const dead = { manifests: [] as string[], blobs: [] as string[], repositories: [] as string[] }

  beforeAll(async () => {
    stack = await startStack(provider)
    await seed()
  }, 120_000)
  afterAll(async () => {
    await stack?.close()
  })

  const blobs = new Map<string, string>() // name -> digest
  async function blob(name: string): Promise<string> {
    if (blobs.has(name)) return blobs.get(name)!
    const body = Buffer.from(`gc batches ${name} ${randomBytes(4).toString('hex')}`)
    const key = newObjectKey()
    await stack.store.write(key, body)
    const digest = sha256(body)
    await stack.db.blob.create({ data: { digest, objectKey: key, size: BigInt(body.length), createdAt: old } })
    blobs.set(name, digest)
    return digest
  }
  async function manifest(repositoryId: number, name: string, opts: { layers?: string[]; children?: number[]; subject?: string; tag?: string; young?: boolean }) {
    const layers = await Promise.all((opts.layers ?? []).map(blob))
    const digest = sha256(`${repositoryId} ${name}`)
    const m = await stack.db.manifest.create({
      data: {
        repositoryId,
        digest,
        mediaType: opts.children ? OCI_INDEX : OCI_MANIFEST,
        content: new Uint8Array(Buffer.from(name)),
        subjectDigest: opts.subject ?? null,
        createdAt: opts.young ? new Date() : old,
        blobs: { create: layers.map((d, position) => ({ position, digest: d, role: 'layer' })) },
      },
    })
    for (const childId of opts.children ?? []) await stack.db.manifestChild.create({ data: { parentId: m.id, childId } })
    if (opts.tag) await stack.db.tag.create({ data: { repositoryId, name: opts.tag, manifestId: m.id, updatedAt: old } })
    for (const d of layers) {
      await stack.db.repositoryBlob.upsert({ where: { repositoryId_digest: { repositoryId, digest: d } }, create: { repositoryId, digest: d, createdAt: old, touchedAt: old }, update: {} })
    }
    return { id: m.id, digest }
  }

  /** Every shape the closure has, in each repository; what must stay and what must go is listed as it is made. */
  async function seed() {
    for (let i = 0; i < REPOSITORIES; i++) {
      const repo = await stack.db.repository.create({ data: { name: `batch/r${i}` } })
      const r = repo.id
      const tagged = await manifest(r, 'tagged', { layers: ['shared', `own-${i}`], tag: 'v1' })
      const signature = await manifest(r, 'signature', { layers: [`sig-${i}`], subject: tagged.digest })
      const untagged = await manifest(r, 'untagged', { layers: [`untagged-${i}`, 'only-untagged'] })
      const orphanReferrer = await manifest(r, 'referrer of untagged', { layers: [`ref-${i}`], subject: untagged.digest })
      kept.manifests.push(tagged.digest, signature.digest)
      kept.blobs.push(blobs.get('shared')!, blobs.get(`own-${i}`)!, blobs.get(`sig-${i}`)!)
      dead.manifests.push(untagged.digest, orphanReferrer.digest)
      dead.blobs.push(blobs.get(`untagged-${i}`)!, blobs.get(`ref-${i}`)!)
      if (i % 3 === 0) {
        // a platform image of a tagged index: live through its parent
        const child = await manifest(r, 'platform', { layers: [`platform-${i}`] })
        await manifest(r, 'index', { children: [child.id], tag: 'multi' })
        kept.manifests.push(child.digest)
        kept.blobs.push(blobs.get(`platform-${i}`)!)
      } else if (i % 3 === 1) {
        // an untagged index and its child: both go (the cascade a dry run must foresee)
        const child = await manifest(r, 'platform', { layers: [`platform-${i}`] })
        const index = await manifest(r, 'index', { children: [child.id] })
        dead.manifests.push(child.digest, index.digest)
        dead.blobs.push(blobs.get(`platform-${i}`)!)
      } else {
        // two levels below a tagged index: only the closure proves it live
        const child = await manifest(r, 'platform', { layers: [`nested-${i}`] })
        const inner = await manifest(r, 'inner index', { children: [child.id] })
        await manifest(r, 'outer index', { children: [inner.id], tag: 'nested' })
        kept.manifests.push(child.digest, inner.digest)
        kept.blobs.push(blobs.get(`nested-${i}`)!)
      }
      if (i === 5) {
        const young = await manifest(r, 'young', { layers: ['young-layer'], young: true })
        kept.manifests.push(young.digest)
        kept.blobs.push(blobs.get('young-layer')!)
      }
      // a repository holding only a stale link: removed
      const empty = await stack.db.repository.create({ data: { name: `batch/empty-${i}` } })
      await stack.db.repositoryBlob.create({ data: { repositoryId: empty.id, digest: blobs.get('only-untagged')!, createdAt: old, touchedAt: old } })
      dead.repositories.push(`batch/empty-${i}`)
    }
    dead.blobs.push(blobs.get('only-untagged')!)
  }

  const settings = (batchRows: number) => {
    stack.lifecycle = { gcGraceSeconds: 3600, gcBatchRows: batchRows }
  }
  /** The answer without run ids and times, repositories sorted: what two runs over the same rows must share. */
  const decision = (r: GcResult) => ({
    totals: [r.manifestsDeleted, r.linksDeleted, r.blobsDeleted, r.objectsDeleted, r.bytesFreed],
    repositories: [...r.repositories].sort((a, b) => a.repository.localeCompare(b.repository)),
    errors: r.errors,
  })
  async function all<T>(gen: AsyncGenerator<T[]>): Promise<{ batches: number; rows: T[] }> {
    const out = { batches: 0, rows: [] as T[] }
    for await (const b of gen) {
      out.batches++
      out.rows.push(...b)
    }
    return out
  }

  it('splits every candidate query into many key ranges and finds exactly what one range finds', async () => {
    const cutoff = new Date(Date.now() - 3600_000)
    for (const [name, find] of [
      ['manifests', deadManifests],
      ['links', deadLinks],
      ['blobs', deadBlobs],
      ['repositories', emptyRepositories],
    ] as const) {
      const one = await all<unknown>(find(stack.db, cutoff, { batchRows: 1_000_000 }))
      const many = await all<unknown>(find(stack.db, cutoff, { batchRows: 2 }))
      expect(one.batches, name).toBe(1)
      expect(many.batches, name).toBeGreaterThan(3)
      expect(many.rows, name).toEqual(one.rows)
    }
    const manifests = (await all(deadManifests(stack.db, cutoff, { batchRows: 2 }))).rows.map((m) => m.digest)
    // the first pass sees the untagged manifests, the untagged indexes and (their cascade) their children
    expect(new Set(manifests)).toEqual(new Set(dead.manifests))
    const blobRows = (await all(deadBlobs(stack.db, cutoff, { batchRows: 2 }))).rows.map((b) => b.digest)
    expect(new Set(blobRows)).toEqual(new Set(dead.blobs))
  })

  it('a dry run in batches of 2 rows answers what a dry run in one batch answers, and the real run frees exactly that', async () => {
    settings(1_000_000)
    const whole = await runGc(stack, { dryRun: true, trigger: 'manual' })
    settings(2)
    const batched = await runGc(stack, { dryRun: true, trigger: 'manual' })
    expect(decision(batched)).toEqual(decision(whole))
    expect(batched.blobsDeleted).toBe(new Set(dead.blobs).size)

    const real = await runGc(stack, { dryRun: false, trigger: 'manual' })
    expect(decision(real)).toEqual(decision(whole))

    const manifestsLeft = new Set((await stack.db.manifest.findMany({ select: { digest: true } })).map((m) => m.digest))
    for (const d of kept.manifests) expect(manifestsLeft.has(d), `kept manifest ${d}`).toBe(true)
    for (const d of dead.manifests) expect(manifestsLeft.has(d), `dead manifest ${d}`).toBe(false)
    const blobsLeft = new Set((await stack.db.blob.findMany({ select: { digest: true } })).map((b) => b.digest))
    for (const d of kept.blobs) expect(blobsLeft.has(d), `kept blob ${d}`).toBe(true)
    for (const d of dead.blobs) expect(blobsLeft.has(d), `dead blob ${d}`).toBe(false)
    const repositories = new Set((await stack.db.repository.findMany({ select: { name: true } })).map((r) => r.name))
    for (const name of dead.repositories) expect(repositories.has(name)).toBe(false)
    for (let i = 0; i < REPOSITORIES; i++) expect(repositories.has(`batch/r${i}`)).toBe(true)

    // nothing left to do: a second run (still in batches of 2) frees nothing
    const again = await runGc(stack, { dryRun: false, trigger: 'manual' })
    expect([again.manifestsDeleted, again.linksDeleted, again.blobsDeleted, again.objectsDeleted]).toEqual([0, 0, 0, 0])
  })
})
