// Issue 9 item 8: two uploads of the same tag at the same moment. Moving the tag and reading its
// previous digest must be one serialized step: one upload sees the tag as it was, the other sees
// the first one's digest. Before the fix, PostgreSQL answered both with the same previousDigest.
import { Readable } from 'node:stream'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startStack, providers, type Stack } from '../helpers/stack'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { importArchive, type ImportResult } from '../../lib/archive/import-archive'
import { setTag } from '../../lib/registry/set-tag'

const ROUNDS = 20

describe.each(providers)('concurrent moves of one tag (%s)', (provider) => {
  let stack: Stack
  beforeAll(async () => {
    stack = await startStack(provider)
  })
  afterAll(async () => {
    await stack?.close()
  })

  it(`keeps the tag history one chain over ${ROUNDS} rounds of two concurrent uploads`, async () => {
    let current: string | null = null
    const forks: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      const archives = await Promise.all(
        [0, 1].map(async () => (await makeDockerArchive({ repoTags: ['race/app:latest'], layers: [await makeLayer(4096)] })).archive),
      )
      const [a, b] = await Promise.all(archives.map((archive) => importArchive(stack, { body: Readable.from([archive]) })))
      const [ta, tb] = [a.tags[0], b.tags[0]]
      // whichever committed first saw the tag as the round found it; the other saw the first one
      const first: typeof ta | null = ta.previousDigest === current && tb.previousDigest === ta.digest ? ta : tb.previousDigest === current && ta.previousDigest === tb.digest ? tb : null
      if (!first) {
        forks.push(round)
        current = (await stack.db.tag.findFirstOrThrow({ where: { name: 'latest' }, include: { manifest: true } })).manifest.digest
        continue
      }
      const second: typeof ta = first === ta ? tb : ta
      expect(first.status).toBe(current === null ? 'created' : 'updated')
      expect(second.status).toBe('updated')
      const tag = await stack.db.tag.findFirstOrThrow({ where: { name: 'latest', repository: { name: 'race/app' } }, include: { manifest: true } })
      expect(tag.manifest.digest).toBe(second.digest)
      current = second.digest
    }
    expect(forks).toEqual([])
    // the history holds every move, in commit order, each one's predecessor the previous row
    const events = await stack.db.tagEvent.findMany({ where: { tag: 'latest', repository: { name: 'race/app' } }, orderBy: { id: 'asc' } })
    expect(events).toHaveLength(2 * ROUNDS)
    expect(events.at(-1)!.manifestDigest).toBe(current)
  })

  it('serializes two registry pushes (setTag) of the same new tag', async () => {
    // the push path calls setTag inside its own transaction: it must take the same lock
    const images = await Promise.all(
      ['race/push:v1', 'race/push:v2'].map(async (ref) => (await makeDockerArchive({ repoTags: [ref], layers: [await makeLayer(4096)] })).archive),
    )
    for (const archive of images) await importArchive(stack, { body: Readable.from([archive]) })
    const repo = await stack.db.repository.findUniqueOrThrow({ where: { name: 'race/push' } })
    const manifests = await stack.db.manifest.findMany({ where: { repositoryId: repo.id }, orderBy: { id: 'asc' } })
    expect(manifests).toHaveLength(2)
    for (let round = 0; round < 10; round++) {
      await stack.db.tag.deleteMany({ where: { repositoryId: repo.id, name: 'pushed' } })
      const moves = await Promise.all(
        manifests.map((m) =>
          stack.db.$transaction((tx) => setTag(tx as any, { repositoryId: repo.id, tag: 'pushed', manifestId: m.id, manifestDigest: m.digest, source: 'push' })),
        ),
      )
      // one created it, the other moved it away from the first one's digest
      const firstIndex = moves.findIndex((m) => m.status === 'created')
      expect(firstIndex).not.toBe(-1)
      expect(moves[1 - firstIndex]).toEqual({ status: 'updated', previousDigest: manifests[firstIndex].digest })
    }
  })
})
