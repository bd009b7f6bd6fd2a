// dive's efficiency definitions (lib/layers/efficiency.ts) on layers fed entry by entry: the generated
// image worked out by hand, and the rules one at a time.
import { describe, it, expect } from 'vitest'
import { DiveEfficiency } from '../../lib/layers/efficiency'
import { TarScanner } from '../../lib/layers/tar-scanner'
import { base, middle, top, expectedV1 } from '../integration/image-analysis-support'

async function analyze(layers: (Buffer | [string, string, number][])[]) {
  const dive = new DiveEfficiency()
  for (const layer of layers) {
    if (Buffer.isBuffer(layer)) {
      const scanner = new TarScanner((e) => dive.entry(e.p, e.t, e.s))
      scanner.write(layer)
      scanner.end()
    } else for (const [p, t, s] of layer) dive.entry(p, t, s)
    await dive.endLayer()
  }
  return dive.result()
}

describe('dive efficiency', () => {
  it('gives the hand-worked figures of the generated image (overwrite, whiteouts, opaque directory, hardlink)', async () => {
    expect(await analyze([base, middle, top])).toEqual(expectedV1)
  })

  it('scores an image without duplicates 1 and divides nothing by zero', async () => {
    const r = await analyze([[['a', 'file', 10]]])
    expect(r).toEqual({ efficiency: 1, wastedBytes: 0, userWastedPercent: null, sizeBytes: 10, userSizeBytes: 0, inefficiencies: [], inefficiencyCount: 0 })
    expect((await analyze([])).efficiency).toBe(1)
  })

  it('counts a removed file whole: its smallest size is the whiteout (0)', async () => {
    const r = await analyze([[['f', 'file', 40]], [['.wh.f', 'whiteout', 0]]])
    expect(r).toMatchObject({ efficiency: 0, wastedBytes: 40, inefficiencies: [{ path: 'f', count: 2, wastedBytes: 40, layers: [0, 1] }] })
  })

  it('sizes a whiteout of a directory by what was below it, and only an explicit directory', async () => {
    // d is a directory entry: its whiteout weighs 30; e is only implied by e/x: dive sees no directory (0)
    const r = await analyze([
      [['d', 'dir', 0], ['d/x', 'file', 10], ['d/y', 'file', 20], ['e/x', 'file', 5]],
      [['.wh.d', 'whiteout', 0], ['.wh.e', 'whiteout', 0]],
    ])
    expect(r.inefficiencies).toEqual([])
    expect(r.wastedBytes).toBe(0)
    // d and e are visited once each (30 and 0): a removed directory is no waste to dive, its files are kept whole
    expect(r.efficiency).toBe(1)
  })

  it('visits leaves only: a directory with entries below it in that layer is not visited', async () => {
    const r = await analyze([[['d', 'dir', 0], ['d/x', 'file', 1]], [['d', 'dir', 0], ['d/y', 'file', 1]]])
    expect(r.inefficiencyCount).toBe(0)
    // an empty directory is a leaf (size 0): twice is an inefficiency of 0 bytes
    const empty = await analyze([[['d', 'dir', 0]], [['d', 'dir', 0]]])
    expect(empty.inefficiencies).toEqual([{ path: 'd', count: 2, wastedBytes: 0, layers: [0, 1] }])
  })

  it('ignores opaque markers for the stacked tree, but their directory is a node of the layer', async () => {
    const r = await analyze([[['c/a', 'file', 8]], [['c/.wh..wh..opq', 'opaque', 0]]])
    // layer 1 has c as a leaf (0 bytes); a stays in dive's stacked tree and is never removed
    expect(r).toMatchObject({ efficiency: 1, wastedBytes: 0, sizeBytes: 8, userSizeBytes: 0 })
  })

  it('keeps the largest inefficiencies first and at most 500 of them', async () => {
    const many: [string, string, number][] = Array.from({ length: 600 }, (_, i) => [`f${i}`, 'file', i])
    const r = await analyze([many, many])
    expect(r.inefficiencyCount).toBe(600)
    expect(r.inefficiencies).toHaveLength(500)
    expect(r.inefficiencies[0]).toEqual({ path: 'f599', count: 2, wastedBytes: 1198, layers: [0, 1] })
  })
})
