// Watches a plain tar stream pass by and records where each entry ends (after its padded data), in
// bytes of the archive. An import can only be resumed at such a boundary: a fresh tar parser starts
// there. Entries are counted as tar-stream yields them: pax and GNU long-name headers belong to the
// entry they describe, end-of-archive blocks are none. The bytes are passed on unchanged.
import { Transform, type TransformCallback } from 'node:stream'

const BLOCK = 512
const META_TYPES = new Set(['x', 'g', 'L', 'K'])
/** pax records bigger than this are refused by tar-stream anyway (HEADER_TOO_LARGE) */
const MAX_PAX_BYTES = 4 * 1024 * 1024

export class TarBoundaries extends Transform {
  /** ends[i]: the archive offset right after entry i (counted from the first entry after `start`) */
  readonly ends: number[] = []
  /** starts[i]: the archive offset of entry i's first data byte (after its header) */
  readonly starts: number[] = []
  private pos: number
  private header = Buffer.alloc(0)
  /** data bytes (with padding) of the current header still to pass */
  private skip = 0
  /** the current data is a pax header's: collected to read its size= record */
  private pax: Buffer[] | null = null
  private paxSize: number | null = null
  private entryPending = false

  constructor(start: number) {
    super({ highWaterMark: 256 * 1024 })
    this.pos = start
  }

  _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
    let i = 0
    while (i < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i)
        if (this.pax) this.pax.push(chunk.subarray(i, i + n))
        this.skip -= n
        i += n
        this.pos += n
        if (this.skip === 0) this.dataDone()
        continue
      }
      const n = Math.min(BLOCK - this.header.length, chunk.length - i)
      this.header = this.header.length ? Buffer.concat([this.header, chunk.subarray(i, i + n)]) : Buffer.from(chunk.subarray(i, i + n))
      i += n
      this.pos += n
      if (this.header.length === BLOCK) {
        const h = this.header
        this.header = Buffer.alloc(0)
        this.onHeader(h)
      }
    }
    cb(null, chunk)
  }

  private onHeader(h: Buffer) {
    if (h.every((b) => b === 0)) return // end-of-archive block
    const type = String.fromCharCode(h[156] || 48)
    let size = headerSize(h)
    if (META_TYPES.has(type)) {
      this.pax = type === 'x' && size <= MAX_PAX_BYTES ? [] : null
      this.skip = padded(size)
      if (this.skip === 0) this.dataDone()
      return
    }
    if (this.paxSize !== null) size = this.paxSize
    this.paxSize = null
    if (type === '5') size = 0 // tar-stream reads no data for a directory
    this.entryPending = true
    this.starts.push(this.pos)
    this.skip = padded(size)
    if (this.skip === 0) this.dataDone()
  }

  private dataDone() {
    if (this.pax) {
      const m = /(?:^|\n)\d+ size=(\d+)\n/.exec(Buffer.concat(this.pax).toString('utf8'))
      if (m) this.paxSize = Number(m[1])
      this.pax = null
      return
    }
    if (this.entryPending) {
      this.entryPending = false
      this.ends.push(this.pos)
    }
  }
}

const padded = (size: number) => Math.ceil(size / BLOCK) * BLOCK

/** The size field: octal, or base-256 when its first byte has the high bit set (GNU, for ≥ 8 GiB). */
function headerSize(h: Buffer): number {
  const field = h.subarray(124, 136)
  if (field[0] & 0x80) {
    let n = field[0] & 0x7f
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]
    return n
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim()
  return text ? parseInt(text, 8) || 0 : 0
}
