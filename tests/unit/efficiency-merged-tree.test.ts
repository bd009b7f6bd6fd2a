// The merged tree's rules (lib/layers/merged-tree.ts MergedTree) on index lines, top layer first, as
// the build feeds them: what each layer keeps of itself given the layers above it.
import { describe, it, expect } from 'vitest'
import { MergedTree } from '../../lib/layers/merged-tree'
import { entryLine, type EntryType } from '../../lib/layers/index-entry'

const line = (p: string, t: EntryType = 'file', s = 1) => entryLine({ p, t, s, m: 0o644, u: 0, g: 0, mt: 0 }).slice(0, -1)

/** The paths kept of each layer; layers are given bottom first (manifest order). */
function merge(layers: [string, EntryType?][][]): string[] {
  const tree = new MergedTree()
  const kept: string[] = []
  for (let i = layers.length - 1; i >= 0; i--) {
    tree.beginLayer(i)
    for (const [p, t] of layers[i]) {
      const out = tree.line(line(p, t ?? 'file'))
      if (out !== null) kept.push(`${JSON.parse(out).p}@${JSON.parse(out).y}`)
    }
    tree.endLayer()
  }
  return kept.sort()
}

describe('merged tree', () => {
  it('keeps the upper entry of a path and adds the layer position to the line', () => {
    expect(merge([[['a'], ['b']], [['a']]])).toEqual(['a@1', 'b@0'])
    const tree = new MergedTree()
    tree.beginLayer(3)
    expect(tree.line(line('x'))).toBe('{"p":"x","t":"file","s":1,"m":420,"u":0,"g":0,"mt":0,"y":3}')
  })

  it('hides a whited-out path and everything below it, in lower layers only', () => {
    expect(merge([[['d', 'dir'], ['d/x'], ['f']], [['.wh.d', 'whiteout'], ['.wh.f', 'whiteout'], ['d/new']]])).toEqual(['d/new@1'])
  })

  it('hides what lower layers have below an opaque directory, not the directory itself', () => {
    expect(merge([[['c', 'dir'], ['c/a'], ['c/sub/b']], [['c/.wh..wh..opq', 'opaque'], ['c/n']]])).toEqual(['c/n@1', 'c@0'])
    expect(merge([[['a'], ['b/c']], [['.wh..wh..opq', 'opaque'], ['z']]])).toEqual(['z@1'])
  })

  it('hides lower entries below a path an upper layer made a file or link', () => {
    expect(merge([[['lib', 'dir'], ['lib/x']], [['lib', 'symlink']]])).toEqual(['lib@1'])
    // an upper directory merges with the lower one
    expect(merge([[['lib', 'dir'], ['lib/x']], [['lib', 'dir'], ['lib/y']]])).toEqual(['lib/x@0', 'lib/y@1', 'lib@1'])
  })

  it('keeps a same-layer duplicate (the later line wins when read back) and drops the root entry', () => {
    expect(merge([[['', 'dir'], ['dup'], ['dup']]])).toEqual(['dup@0', 'dup@0'])
  })
})
