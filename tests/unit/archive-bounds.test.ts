// The bounds an archive is held to (issue 9 item 2): configuration, and the pure checks on manifests
// and on the inflation of a stream.
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { describe, it, expect } from 'vitest'
import { loadConfig, ConfigError, defaultLimits } from '../../lib/config'
import { checkManifestBounds, checkPlanBounds } from '../../lib/archive/archive-bounds'
import { ArchiveBudget, InflateGuard } from '../../lib/archive/inflate-guard'
import type { ArchiveContents } from '../../lib/archive/archive-reader'

const manifestOnly = (json: unknown): ArchiveContents => {
  const bytes = Buffer.from(JSON.stringify(json))
  return { entries: new Map([['manifest.json', { kind: 'doc', path: 'manifest.json', bytes, entryBytes: 512 + bytes.length }]]), entryCount: 1 }
}

describe('archive bounds configuration', () => {
  it('has documented defaults and reads each bound from its variable', () => {
    const d = loadConfig({}, 2).limits
    expect(d).toMatchObject({ maxTagsPerImage: 100, maxImagesPerArchive: 100, maxLayersPerImage: 128, maxArchiveBytes: 50e9, maxInflateRatio: 100, inflateRatioAfterBytes: 64 * 1024 * 1024 })
    const c = loadConfig(
      {
        STOWAGE_MAX_TAGS_PER_IMAGE: '5',
        STOWAGE_MAX_IMAGES_PER_ARCHIVE: '6',
        STOWAGE_MAX_LAYERS_PER_IMAGE: '7',
        STOWAGE_MAX_ARCHIVE_BYTES: '1048576',
        STOWAGE_MAX_INFLATE_RATIO: '50',
        STOWAGE_INFLATE_RATIO_AFTER_BYTES: '0',
      },
      2,
    ).limits
    expect(c).toMatchObject({ maxTagsPerImage: 5, maxImagesPerArchive: 6, maxLayersPerImage: 7, maxArchiveBytes: 1048576, maxInflateRatio: 50, inflateRatioAfterBytes: 0 })
  })

  it('names every bad bound', () => {
    try {
      loadConfig({ STOWAGE_MAX_TAGS_PER_IMAGE: '0', STOWAGE_MAX_INFLATE_RATIO: 'many', STOWAGE_MAX_ARCHIVE_BYTES: '-1' })
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError)
      expect((e as ConfigError).problems.join('\n')).toMatch(/STOWAGE_MAX_TAGS_PER_IMAGE="0"[\s\S]*STOWAGE_MAX_ARCHIVE_BYTES="-1"[\s\S]*STOWAGE_MAX_INFLATE_RATIO="many"/)
    }
  })
})

describe('manifest bounds', () => {
  const limits = { ...defaultLimits, maxTagsPerImage: 2, maxImagesPerArchive: 2, maxLayersPerImage: 2 }
  it('counts images, RepoTags and Layers of manifest.json before anything is planned', () => {
    expect(() => checkManifestBounds(manifestOnly([{}, {}, {}]), limits)).toThrow(expect.objectContaining({ code: 'TOO_MANY_IMAGES' }))
    expect(() => checkManifestBounds(manifestOnly([{ RepoTags: ['a:1', 'a:2', 'a:3'] }]), limits)).toThrow(expect.objectContaining({ code: 'TOO_MANY_TAGS' }))
    expect(() => checkManifestBounds(manifestOnly([{}, { Layers: ['x', 'x', 'x'] }]), limits)).toThrow(
      expect.objectContaining({ code: 'TOO_MANY_LAYERS', message: expect.stringContaining('manifest.json image 2') }),
    )
    // malformed documents are the layout step's to explain
    expect(() => checkManifestBounds(manifestOnly({ not: 'a list' }), limits)).not.toThrow()
    expect(() => checkManifestBounds(manifestOnly([{ RepoTags: 'a:1', Layers: null }]), limits)).not.toThrow()
  })

  it('counts the plans too (nested OCI indexes are only known after planning)', () => {
    expect(() => checkPlanBounds([{ refs: [], layers: [] }, { refs: [], layers: [] }, { refs: [], layers: [] }], limits)).toThrow(expect.objectContaining({ code: 'TOO_MANY_IMAGES' }))
    expect(() => checkPlanBounds([{ refs: [], layers: [1, 2, 3] }], limits)).toThrow(expect.objectContaining({ code: 'TOO_MANY_LAYERS' }))
    expect(() => checkPlanBounds([{ refs: ['a', 'b'], layers: [1, 2] }], limits)).not.toThrow()
  })
})

describe('inflate guard', () => {
  const run = async (chunks: number, compressed: () => number, budget: ArchiveBudget | null, after = 1000) => {
    const guard = new InflateGuard({ what: 'the test stream', compressedBytes: compressed, budget, limits: { maxInflateRatio: 10, inflateRatioAfterBytes: after } })
    const source = Readable.from(Array.from({ length: chunks }, () => Buffer.alloc(100)))
    let out = 0
    await pipeline(source, guard, async function* (s) {
      for await (const c of s) out += (c as Buffer).length
    })
    return out
  }

  it('lets a stream inflate beyond the ratio until the grace size, then stops it', async () => {
    await expect(run(10, () => 1, null)).resolves.toBe(1000) // 1000:1, but within the first 1000 bytes
    await expect(run(11, () => 1, null)).rejects.toMatchObject({ code: 'INFLATE_RATIO_EXCEEDED', message: expect.stringContaining('the test stream inflates more than 10 times') })
    await expect(run(100, () => 1000, null)).resolves.toBe(10_000) // 10:1 is allowed
    await expect(run(101, () => 1000, null)).rejects.toMatchObject({ code: 'INFLATE_RATIO_EXCEEDED' })
  })

  it('charges every stream of an archive to one budget', async () => {
    const budget = new ArchiveBudget(2500)
    await expect(run(20, () => 1e9, budget)).resolves.toBe(2000)
    await expect(run(20, () => 1e9, budget)).rejects.toMatchObject({ code: 'ARCHIVE_TOO_LARGE', status: 413 })
  })
})
