import { describe, it, expect } from 'vitest'
import { TarScanner, NotATarError } from '../../lib/layers/tar-scanner'
import type { IndexEntry } from '../../lib/layers/index-entry'
import { normalizePath } from '../../lib/layers/entry-names'
import { packToBuffer } from '../helpers/make-archive'
import { tarEntry, paxEntry, gnuLongName, tarEnd } from '../helpers/layer-tar'

/** Scans `bytes` fed in chunks of `chunk` bytes (1 = the hardest split). */
function scan(bytes: Buffer, chunk = 7): IndexEntry[] {
  const out: IndexEntry[] = []
  const s = new TarScanner((e) => out.push(e))
  for (let i = 0; i < bytes.length; i += chunk) s.write(bytes.subarray(i, i + chunk))
  s.end()
  return out
}

describe('tar scanner', () => {
  it('reports each file with the offset of its data in the stream', async () => {
    const a = Buffer.from('alpha')
    const b = Buffer.alloc(1300, 'b')
    const tar = await packToBuffer([{ name: 'dir/', type: 'directory' }, { name: 'dir/a.txt', data: a }, { name: 'b.bin', data: b }, { name: 'ln', type: 'symlink', linkname: 'dir/a.txt' }])
    for (const chunk of [1, 7, 512, 100_000]) {
      const entries = scan(tar, chunk)
      expect(entries.map((e) => [e.p, e.t, e.s])).toEqual([
        ['dir', 'dir', 0],
        ['dir/a.txt', 'file', 5],
        ['b.bin', 'file', 1300],
        ['ln', 'symlink', 0],
      ])
      const [, fa, fb, ln] = entries
      expect(tar.subarray(fa.o!, fa.o! + fa.s)).toEqual(a)
      expect(tar.subarray(fb.o!, fb.o! + fb.s)).toEqual(b)
      expect(ln.l).toBe('dir/a.txt')
    }
  })

  it('classifies whiteouts, opaque directories and hardlinks', () => {
    const tar = Buffer.concat([
      tarEntry({ name: 'etc/.wh.passwd' }),
      tarEntry({ name: 'var/cache/.wh..wh..opq' }),
      tarEntry({ name: 'bin/sh', type: '1', linkname: 'bin/bash', size: 999 }), // header-only: no data follows
      tarEntry({ name: 'after' }, Buffer.from('x')),
      tarEnd(),
    ])
    const entries = scan(tar, 13)
    expect(entries.map((e) => [e.p, e.t, e.l])).toEqual([
      ['etc/.wh.passwd', 'whiteout', 'etc/passwd'],
      ['var/cache/.wh..wh..opq', 'opaque', undefined],
      ['bin/sh', 'hardlink', 'bin/bash'],
      ['after', 'file', undefined],
    ])
    expect(tar.subarray(entries[3].o!, entries[3].o! + 1).toString()).toBe('x')
  })

  it('reads GNU long names, PAX paths and sizes, and keeps non-UTF-8 bytes visible', () => {
    const long = 'deep/' + 'x'.repeat(150) + '/file'
    const tar = Buffer.concat([
      gnuLongName(long),
      tarEntry({ name: 'truncated-name' }, Buffer.from('gnu')),
      paxEntry({ path: 'pax/\u00e9t\u00e9.txt', mtime: '1700000000.5' }),
      tarEntry({ name: 'ignored' }, Buffer.from('pax')),
      tarEntry({ name: Buffer.from([0x6c, 0x61, 0x74, 0x69, 0x6e, 0xe9]) }, Buffer.from('latin1')),
      tarEnd(),
    ])
    const entries = scan(tar, 1)
    expect(entries.map((e) => e.p)).toEqual([long, 'pax/\u00e9t\u00e9.txt', 'latin\\xe9'])
    expect(entries[1].mt).toBe(1700000000)
    expect(entries[2].b).toBe(1)
    expect(entries[0].b).toBeUndefined()
    for (const [e, text] of [[entries[0], 'gnu'], [entries[1], 'pax'], [entries[2], 'latin1']] as const) expect(tar.subarray(e.o!, e.o! + e.s).toString()).toBe(text)
  })

  it('keeps hostile paths, with a note', () => {
    const tar = Buffer.concat([tarEntry({ name: '/etc/shadow' }), tarEntry({ name: '../../escape' }), tarEntry({ name: './a/./b//c' }), tarEnd()])
    const entries = scan(tar)
    expect(entries.map((e) => [e.p, e.x])).toEqual([
      ['etc/shadow', 'absolute path'],
      ['../../escape', 'path leaves the layer root (..)'],
      ['a/b/c', undefined],
    ])
    expect(normalizePath('a/../b')).toEqual({ path: 'b' })
  })

  it('says what is wrong with a body that is not a tar, or is cut off', () => {
    expect(() => scan(Buffer.from('{"this": "is json"}'.padEnd(2048, ' ')))).toThrow(/no valid tar header at byte 0/)
    expect(() => scan(Buffer.alloc(0))).toThrow(/empty body/)
    const full = Buffer.concat([tarEntry({ name: 'big' }, Buffer.alloc(5000, 1)), tarEnd()])
    expect(() => scan(full.subarray(0, 3000))).toThrow(NotATarError)
    expect(() => scan(full.subarray(0, 3000))).toThrow(/truncated tar/)
    // stopping at an entry boundary without end blocks is accepted, like Go's archive/tar
    expect(scan(full.subarray(0, 512 + 5120)).length).toBe(1)
  })

  it('ignores whatever follows the end-of-archive blocks', () => {
    const tar = Buffer.concat([tarEntry({ name: 'a' }, Buffer.from('1')), tarEnd(), Buffer.from('trailing garbage')])
    expect(scan(tar).map((e) => e.p)).toEqual(['a'])
  })
})
