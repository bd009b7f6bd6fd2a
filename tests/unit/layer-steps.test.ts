// The image page's history per layer: each layer gets its own build step and the metadata-only steps
// (ENV, CMD…) before it; steps after the last layer are left over; a history that does not match the
// layers is not attributed at all.
import { describe, it, expect } from 'vitest'
import { stepsPerLayer } from '../../components/image/layer-steps'

const step = (createdBy: string, emptyLayer = false) => ({ created: null, createdBy, comment: null, emptyLayer })

describe('stepsPerLayer', () => {
  it('groups the empty steps with the layer that follows them', () => {
    const h = [step('FROM x'), step('ENV A=1', true), step('RUN make'), step('CMD ["sh"]', true)]
    const split = stepsPerLayer(h, 2)!
    expect(split.perLayer.map((s) => s.map((x) => x.createdBy))).toEqual([['FROM x'], ['ENV A=1', 'RUN make']])
    expect(split.trailing.map((x) => x.createdBy)).toEqual(['CMD ["sh"]'])
  })

  it('does not attribute a history whose layer steps do not match the layers', () => {
    expect(stepsPerLayer([step('a'), step('b')], 3)).toBeNull()
    expect(stepsPerLayer([], 1)).toBeNull()
    expect(stepsPerLayer([], 0)).toEqual({ perLayer: [], trailing: [] })
  })
})
