// TarBoundaries (lib/resumable/tar-boundaries.ts) finds where each tar entry ends, as tar-stream counts
// entries: a fresh parser started at any recorded boundary reads exactly the entries after it. Long
// names (pax or GNU headers before the entry), directories, links, empty and odd-sized files.
import { describe, it, expect } from 'vitest'
import { Readable } from 'node:stream'
import tar from 'tar-stream'
import { TarBoundaries } from '../../lib/resumable/tar-boundaries'
import { packToBuffer, type RawEntry } from '../helpers/make-archive'

const ENTRIES: RawEntry[] = [
  { name: 'manifest.json', data: Buffer.from('[]') },
  { name: 'dir', type: 'directory' },
  { name: `dir/${'very-long-name-'.repeat(12)}.tar`, data: Buffer.alloc(1537, 1) },
  { name: 'empty', data: Buffer.alloc(0) },
  { name: 'link', type: 'symlink', linkname: 'manifest.json' },
  { name: 'exact', data: Buffer.alloc(1024, 2) },
  { name: `${'x'.repeat(60)}/${'y'.repeat(60)}/last`, data: Buffer.alloc(70_000, 3) },
]

async function boundaries(archive: Buffer, chunk: number) {
  const scan = new TarBoundaries(0)
  const pieces = []
  for (let i = 0; i < archive.length; i += chunk) pieces.push(archive.subarray(i, i + chunk))
  for await (const _ of Readable.from(pieces).pipe(scan)) void _
  return scan.ends
}

async function namesFrom(archive: Buffer, offset: number) {
  const names: string[] = []
  const extract = tar.extract()
  Readable.from([archive.subarray(offset)]).pipe(extract)
  for await (const entry of extract) {
    names.push(entry.header.name)
    entry.resume()
  }
  return names
}

describe('tar entry boundaries', () => {
  it('a parser started at each boundary reads exactly the entries after it, however the bytes are chunked', async () => {
    const archive = await packToBuffer(ENTRIES)
    const all = await namesFrom(archive, 0)
    expect(all).toHaveLength(ENTRIES.length)
    for (const chunk of [1, 511, 512, 4096, archive.length]) {
      const ends = await boundaries(archive, chunk)
      expect(ends, `chunk ${chunk}`).toHaveLength(ENTRIES.length)
      for (const [i, end] of ends.entries()) expect(await namesFrom(archive, end), `after entry ${i}, chunk ${chunk}`).toEqual(all.slice(i + 1))
    }
  })

  it('counts from the offset it starts at (a resumed import)', async () => {
    const archive = await packToBuffer(ENTRIES)
    const ends = await boundaries(archive, 4096)
    const scan = new TarBoundaries(ends[2])
    for await (const _ of Readable.from([archive.subarray(ends[2])]).pipe(scan)) void _
    expect(scan.ends).toEqual(ends.slice(3))
  })
})
