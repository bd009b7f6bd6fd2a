import { describe, it, expect } from 'vitest'
import { TarScanner, NotATarError } from '../../lib/layers/tar-scanner'
import zlib from 'node:zlib'
import { entryLine, type IndexEntry } from '../../lib/layers/index-entry'
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

  it('marks files whose first data bytes (or name) say the content is already compressed, whatever the chunk split', () => {
    const png = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(600, 7)])
    const gz = zlib.gzipSync(Buffer.from('some text '.repeat(50)))
    const tar = Buffer.concat([
      tarEntry({ name: 'img/logo' }, png), // no extension: the magic decides
      tarEntry({ name: 'data/notes.gz' }, Buffer.from('not gzip at all')), // the extension is the fallback
      tarEntry({ name: 'data/archive' }, gz),
      tarEntry({ name: 'usr/lib/libx.so.1' }, Buffer.concat([Buffer.from('7f454c46020101', 'hex'), Buffer.alloc(900)])),
      tarEntry({ name: 'tiny' }, Buffer.from('\x1f')), // shorter than any magic number
      tarEntry({ name: 'empty.png' }), // no data: neither kind
      tarEntry({ name: 'static/app.js.br' }, zlib.brotliCompressSync(Buffer.from('x'.repeat(100)))),
      tarEntry({ name: 'img/.wh.old.png' }),
      tarEnd(),
    ])
    const want = [
      ['img/logo', 'file', 1],
      ['data/notes.gz', 'file', 1],
      ['data/archive', 'file', 1],
      ['usr/lib/libx.so.1', 'file', undefined],
      ['tiny', 'file', undefined],
      ['empty.png', 'file', undefined],
      ['static/app.js.br', 'file', 1],
      ['img/.wh.old.png', 'whiteout', undefined],
    ]
    for (const chunk of [1, 3, 11, 512, 515, 100_000]) {
      const entries = scan(tar, chunk)
      expect([chunk, entries.map((e) => [e.p, e.t, e.z])]).toEqual([chunk, want])
      // offsets are unchanged by the wait for the first bytes
      expect(tar.subarray(entries[2].o!, entries[2].o! + entries[2].s)).toEqual(gz)
    }
  })

  it('reports entries in tar order although a file waits for its first bytes', () => {
    const tar = Buffer.concat([tarEntry({ name: 'a' }, Buffer.from('0123456789abcdef')), tarEntry({ name: 'b', type: '5' }), tarEntry({ name: 'c' }, Buffer.from('x')), tarEnd()])
    const order: string[] = []
    const s = new TarScanner((e) => order.push(e.p))
    s.write(tar.subarray(0, 515)) // the header of a and 3 of its bytes: a is not reported yet
    expect(order).toEqual([])
    s.write(tar.subarray(515))
    s.end()
    expect(order).toEqual(['a', 'b', 'c'])
  })

  it('writes index lines exactly as JSON.stringify would, hostile names included', () => {
    const tar = Buffer.concat([
      tarEntry({ name: 'q"uote\\back' }, Buffer.from('1')),
      tarEntry({ name: 'ctl\u0001\ttab' }, Buffer.from('2')),
      tarEntry({ name: Buffer.from([0x62, 0xff, 0x22]) }, Buffer.from('3')),
      tarEntry({ name: '/abs/../../up.png' }, Buffer.from('4')),
      tarEntry({ name: 'l', type: '2', linkname: 'target "x"' }),
      paxEntry({ path: 'emoji/\u{1f600}/\u00e9t\u00e9.zip' }),
      tarEntry({ name: 'ignored' }, Buffer.from('PK\x03\x04')),
      tarEnd(),
    ])
    const entries = scan(tar, 5)
    expect(entries).toHaveLength(6)
    for (const e of entries) {
      expect(entryLine(e)).toBe(JSON.stringify(e) + '\n')
      expect(JSON.parse(entryLine(e))).toEqual(e)
    }
    expect(entries[5]).toMatchObject({ p: 'emoji/\u{1f600}/\u00e9t\u00e9.zip', z: 1 })
  })
})
