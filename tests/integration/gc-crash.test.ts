// Garbage collection is crash-safe (issue 11): a run killed with SIGKILL at any step leaves every tag
// pullable and nothing visible pointing at a deleted object, and the next run finishes the job (the
// bytes of deleted images leave the bucket, no tombstone is left). The killed run is a real child
// process (tests/helpers/gc-child.ts) on the test's database and bucket.
import { execFile } from 'node:child_process'
import path from 'node:path'
import { Readable } from 'node:stream'
import { randomBytes } from 'node:crypto'
import { describe, it, expect } from 'vitest'
import { registryForTests } from '../helpers/http-stack'
import { providers } from '../helpers/stack'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { image, index, pushBlob, pushImage, putManifest, pullEveryTag, blobsWithoutObject, sha256, OCI_INDEX } from '../helpers/registry-client'
import { importArchive } from '../../lib/archive/import-archive'
import { runGc, GC_STEPS, type GcStep } from '../../lib/gc/run-gc'
import { projectRoot } from '../../lib/paths'

const child = path.join(projectRoot, 'tests/helpers/gc-child.ts')

/** Runs GC in a child process that kills itself (SIGKILL) as `step` begins; resolves with how it ended. */
function gcKilledAt(databaseUrl: string, s3Env: Record<string, string>, step: GcStep): Promise<{ signal: string | null; stderr: string }> {
  return new Promise((resolve) => {
    // tsx as a loader of this very process (its CLI would run the script in a grandchild)
    execFile(process.execPath, ['--import', 'tsx', child], { env: { ...process.env, DATABASE_URL: databaseUrl, ...s3Env, GC_KILL_AT: step }, timeout: 120_000 }, (err, _stdout, stderr) => {
      resolve({ signal: (err as { signal?: string } | null)?.signal ?? null, stderr })
    })
  })
}

describe.each(providers)('garbage collection killed at each step (%s)', (provider) => {
  const reg = registryForTests(provider, { timeout: 120_000, services: (stack) => ({ ...stack, lifecycle: { gcGraceSeconds: 0 } }) })
  const db = () => reg.stack.db

  /**
   * Kept: a tagged image (pushed), a tagged import, a tagged index over two platform images. Garbage: an
   * image whose tag was deleted, an image deleted by digest, a blob pushed but never referenced; each of
   * them has layers nothing else uses, and shares one layer with what is kept.
   */
  async function scenario(p: string) {
    const shared = randomBytes(900)
    const keep = image([shared, randomBytes(800)], `${p}-keep`)
    const untagged = image([shared, randomBytes(801)], `${p}-untagged`)
    const byDigest = image([shared, randomBytes(802)], `${p}-by-digest`)
    const amd = image([shared, randomBytes(803)], `${p}-amd`)
    const arm = image([randomBytes(804)], `${p}-arm`, { os: 'linux', architecture: 'arm64' })
    const loose = randomBytes(805)
    const repo = `${p}/app`
    for (const [ref, img] of [['keep', keep], ['old', untagged], ['gone', byDigest], [amd.digest, amd], [arm.digest, arm]] as const) {
      expect((await pushImage(reg.url, repo, ref, img)).status).toBe(201)
    }
    const idx = index([
      { image: amd, architecture: 'amd64' },
      { image: arm, architecture: 'arm64' },
    ])
    expect((await putManifest(reg.url, repo, 'multi', idx.manifest, OCI_INDEX)).status).toBe(201)
    expect((await pushBlob(reg.url, repo, loose)).status).toBe(201)
    const { archive } = await makeDockerArchive({ repoTags: [`${p}/imported:1`], layers: [await makeLayer(1200)] })
    await importArchive(reg.stack, { body: Readable.from([archive]) })

    expect((await fetch(`${reg.url}/v2/${repo}/manifests/old`, { method: 'DELETE' })).status).toBe(202)
    expect((await fetch(`${reg.url}/v2/${repo}/manifests/${byDigest.digest}`, { method: 'DELETE' })).status).toBe(202)

    // what must be gone once collection finished: their manifests, and the blobs only they used
    const garbageBlobs = [untagged.layers[1], untagged.config, byDigest.layers[1], byDigest.config, loose].map(sha256)
    const garbageKeys = (await db().blob.findMany({ where: { digest: { in: garbageBlobs } }, select: { objectKey: true } })).map((b) => b.objectKey)
    expect(garbageKeys).toHaveLength(garbageBlobs.length)
    return { repo, garbageBlobs, garbageKeys, garbageManifests: [untagged.digest] }
  }

  async function bucketKeys() {
    const keys = new Set<string>()
    for await (const o of reg.stack.store.list('')) keys.add(o.key)
    return keys
  }

  /** What must hold at every moment, crash or not: every tag pulls byte-exact, every Blob row has its object. */
  async function visibleIntact() {
    expect(await pullEveryTag(reg.stack, reg.url)).toEqual([])
    expect(await blobsWithoutObject(reg.stack)).toEqual([])
  }

  for (const step of GC_STEPS) {
    it(`killed at "${step}": everything visible stays intact, and the next run finishes`, async () => {
      const s = await scenario(`crash-${step}`)

      const killed = await gcKilledAt(reg.stack.databaseUrl, reg.stack.s3Env, step)
      expect(killed.signal, killed.stderr).toBe('SIGKILL')
      await visibleIntact()
      // a killed run leaves the state its finished steps made: after "blobs", tombstones await "objects"
      const i = GC_STEPS.indexOf(step)
      if (i > GC_STEPS.indexOf('blobs') && i <= GC_STEPS.indexOf('objects')) expect(await db().objectTombstone.count()).toBeGreaterThan(0)

      // the dead holder's lease runs out (the test does not wait for its clock)
      await db().lease.updateMany({ where: { name: 'gc' }, data: { until: new Date(Date.now() - 1000) } })
      const second = await runGc({ ...reg.stack, lifecycle: { gcGraceSeconds: 0 } }, { dryRun: false, trigger: 'manual' })
      expect(second.state).toBe('done')
      expect(second.errors).toEqual([])

      await visibleIntact()
      expect(await db().objectTombstone.count()).toBe(0)
      expect(await db().blob.count({ where: { digest: { in: s.garbageBlobs } } })).toBe(0)
      const keys = await bucketKeys()
      expect(s.garbageKeys.filter((k) => keys.has(k))).toEqual([])
      expect(await db().manifest.count({ where: { repository: { name: s.repo }, digest: { in: s.garbageManifests } } })).toBe(0)
      // what is kept is all still there
      const tags = await db().tag.findMany({ where: { repository: { name: { startsWith: `crash-${step}/` } } }, select: { name: true } })
      expect(tags.map((t) => t.name).sort()).toEqual(['1', 'keep', 'multi'])
    }, 180_000)
  }
})
