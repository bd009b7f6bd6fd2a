// The repository list: sorted by name, last update or size, with each repository's size (uncompressed
// bytes of its distinct tagged layers), filtered and paged in the database, on SQLite and PostgreSQL.
// Listed: the repositories holding at least one manifest (one whose tags were all deleted, with 0 tags and
// 0 bytes), not those whose last manifest was deleted by digest.
import { Readable } from 'node:stream'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startStack, providers, type Stack } from '../helpers/stack'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { importArchive } from '../../lib/archive/import-archive'
import { deleteTag, listRepositories } from '../../lib/registry/queries'
import { deleteManifest } from '../../lib/oci/manifest-store'
import { EVERYTHING } from '../../lib/auth/visibility'

for (const provider of providers) {
  describe(`repository list (${provider})`, () => {
    let stack: Stack
    const sizes: Record<string, number> = {}
    const upload = async (repoTags: string[], layers: Buffer[]) => {
      const { archive } = await makeDockerArchive({ repoTags, layers })
      await importArchive(stack, { body: Readable.from([archive]) })
    }

    beforeAll(async () => {
      stack = await startStack(provider)
      const shared = await makeLayer(40_000)
      const big = await makeLayer(300_000)
      const small = await makeLayer(2_000)
      // uploaded in this order: "updated" sorts them newest first
      await upload(['sort/mid:1'], [shared, await makeLayer(60_000)])
      await upload(['sort/big:1', 'sort/big:2'], [shared, big]) // two tags, one image: layers counted once
      await upload(['other/small:1'], [small])
      await upload(['sort/mid:2'], [shared, await makeLayer(10_000)]) // shares "shared" with mid:1: counted once
      await upload(['gone/one:1'], [small])
      await deleteTag(stack, 'gone/one', '1') // untagged: still holds its manifest
      await upload(['gone/two:1'], [small])
      const two = await stack.db.manifest.findFirstOrThrow({ where: { repository: { name: 'gone/two' } } })
      await deleteManifest(stack, two.repositoryId, two.digest, { listed: 'unlist', source: 'console' }) // holds nothing
      const layerBytes = async (repository: string) => {
        const digests = new Set((await stack.db.manifestBlob.findMany({ where: { role: 'layer', manifest: { repository: { name: repository }, tags: { some: {} } } } })).map((m) => m.digest))
        const blobs = await stack.db.blob.findMany({ where: { digest: { in: [...digests] } } })
        return blobs.reduce((n, b) => n + Number(b.uncompressedSize), 0)
      }
      for (const r of ['sort/mid', 'sort/big', 'other/small', 'gone/one']) sizes[r] = await layerBytes(r)
    }, 120_000)
    afterAll(async () => {
      await stack?.close()
    })

    it('sorts by name, newest update and size, with the size of the distinct tagged layers', async () => {
      const byName = await listRepositories(stack, EVERYTHING, '', 1, 20, 'name')
      expect(byName.repositories.map((r) => r.name)).toEqual(['gone/one', 'other/small', 'sort/big', 'sort/mid'])
      expect(byName.total).toBe(4)
      expect(byName.repositories[0]).toMatchObject({ name: 'gone/one', tagCount: 0, size: 0 })
      const updated = await listRepositories(stack, EVERYTHING, '', 1, 20, 'updated')
      // an untagged repository's last update is its newest manifest
      expect(updated.repositories.map((r) => r.name)).toEqual(['gone/one', 'sort/mid', 'other/small', 'sort/big'])
      const bySize = await listRepositories(stack, EVERYTHING, '', 1, 20, 'size')
      expect(bySize.repositories.map((r) => r.name)).toEqual(['sort/big', 'sort/mid', 'other/small', 'gone/one'])
      for (const r of bySize.repositories) {
        expect(r.size, r.name).toBe(sizes[r.name])
        expect(r.sizeComplete).toBe(true)
      }
      // the shared 40 kB layer and the two tags of one image are counted once
      const mid = bySize.repositories.find((r) => r.name === 'sort/mid')!
      expect(mid.tagCount).toBe(2)
      expect(mid.size).toBeGreaterThan(110_000)
      expect(mid.size).toBeLessThan(130_000)
      expect(mid.updatedAt).toBeInstanceOf(Date)
      expect(Date.now() - mid.updatedAt!.getTime()).toBeLessThan(10 * 60_000)
    })

    it('filters literally (wildcards are not patterns) and pages with the total', async () => {
      expect((await listRepositories(stack, EVERYTHING, 'SORT/', 1, 20, 'size')).repositories.map((r) => r.name)).toEqual(['sort/big', 'sort/mid'])
      expect((await listRepositories(stack, EVERYTHING, '%', 1, 20)).total).toBe(0)
      expect((await listRepositories(stack, EVERYTHING, '_', 1, 20)).total).toBe(0)
      const p2 = await listRepositories(stack, EVERYTHING, '', 2, 2, 'size')
      expect(p2.repositories.map((r) => r.name)).toEqual(['other/small', 'gone/one'])
      expect(p2.total).toBe(4)
      const past = await listRepositories(stack, EVERYTHING, '', 5, 2)
      expect(past.repositories).toEqual([])
      expect(past.total).toBe(4)
    })
  })
}
