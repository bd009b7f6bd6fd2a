// A push parser for tar streams that reports each entry with the byte offset of its data, and never
// copies file data: chunks are fed as they are read (the same chunks the compressed-size measurement
// sees), headers are parsed in place, data bytes are only counted. Memory is one 512-byte header plus
// the current PAX / GNU long-name record (capped). Understands ustar, GNU (long names, base-256
// numbers) and PAX (path, linkpath, size, uid, gid, mtime), like Go's archive/tar that docker uses.
// A regular file is reported once its first data bytes were seen (at most HEAD_BYTES of them, kept in
// a small buffer only when a chunk boundary cuts them): they tell whether its content is already
// compressed (content-kinds.ts). Headers that lie whole in a chunk are parsed in place, not copied.
import { decodeName, normalizePath, whiteoutTarget, isOpaqueMarker } from './entry-names'
import type { EntryType, IndexEntry } from './index-entry'
import { HEAD_BYTES, isCompressedContent } from './content-kinds'

const BLOCK = 512
/** a PAX or GNU long-name record larger than this is not a name: the body is not a layer we can index */
const MAX_META_BYTES = 1024 * 1024

export class NotATarError extends Error {}

type Meta = { path?: Buffer; linkpath?: Buffer; size?: number; uid?: number; gid?: number; mtime?: number }

/** Header-only types carry no data even when their size field says otherwise (Go: isHeaderOnlyType). */
const HEADER_ONLY = new Set(['1', '2', '3', '4', '5', '6'])

const TYPES: Record<string, EntryType> = { '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo' }

export class TarScanner {
  /** bytes consumed so far: the offset of the next byte fed */
  position = 0
  entries = 0
  /** true once the end-of-archive blocks were read; later bytes are ignored */
  finished = false

  private header = Buffer.alloc(BLOCK)
  private headerFill = 0
  /** bytes of the current entry's data (and padding) still to pass */
  private skip = 0
  /** data of a PAX / long-name record being collected */
  private meta: { kind: string; parts: Buffer[]; left: number; pad: number } | null = null
  private next: Meta = {}
  private nextUsed = false
  private global: Meta = {}
  private zeroBlocks = 0
  /** the regular file whose first data bytes are awaited, and those bytes when a chunk boundary cuts them */
  private waiting: IndexEntry | null = null
  private head = Buffer.alloc(HEAD_BYTES)
  private headFill = 0
  private headNeed = 0

  constructor(private readonly onEntry: (e: IndexEntry) => void) {}

  /** Feeds the next bytes of the stream; throws NotATarError on a malformed header. */
  write(chunk: Buffer): void {
    let i = 0
    const n = chunk.length
    while (i < n && !this.finished) {
      if (this.meta) {
        const take = Math.min(this.meta.left, n - i)
        if (take > 0) this.meta.parts.push(chunk.subarray(i, i + take))
        this.meta.left -= take
        i += take
        this.position += take
        if (this.meta.left === 0) {
          const m = this.meta
          this.meta = null
          this.skip = m.pad
          this.takeMeta(m.kind, Buffer.concat(m.parts))
        }
        continue
      }
      if (this.skip > 0) {
        const take = Math.min(this.skip, n - i)
        if (this.waiting) this.takeHead(chunk, i, take)
        this.skip -= take
        i += take
        this.position += take
        continue
      }
      if (this.headerFill === 0 && n - i >= BLOCK) {
        // the common case: the whole header is in this chunk
        this.position += BLOCK
        this.readHeader(chunk, i, this.position - BLOCK)
        i += BLOCK
        continue
      }
      const take = Math.min(BLOCK - this.headerFill, n - i)
      chunk.copy(this.header, this.headerFill, i, i + take)
      this.headerFill += take
      i += take
      this.position += take
      if (this.headerFill === BLOCK) {
        this.headerFill = 0
        this.readHeader(this.header, 0, this.position - BLOCK)
      }
    }
    if (this.finished) this.position += n - i
  }

  /** The stream ended; throws NotATarError when it ended inside an entry (truncated) or held nothing. */
  end(): void {
    if (this.finished) return
    if (this.meta || this.skip > 0 || this.headerFill > 0) {
      throw new NotATarError(`truncated tar: the stream ends inside an entry at byte ${this.position}`)
    }
    // Go's reader accepts a stream that stops at an entry boundary without end blocks; so do we,
    // but a stream with no entry at all is not a layer
    if (this.entries === 0 && this.zeroBlocks === 0) throw new NotATarError(this.position === 0 ? 'empty body: not a tar archive' : 'no tar entry found')
    this.finished = true
  }

  /** `take` bytes of the waiting file's data start at chunk[i]: its first bytes decide its kind. */
  private takeHead(chunk: Buffer, i: number, take: number) {
    const want = this.headNeed - this.headFill
    if (this.headFill === 0 && take >= want) return this.report(chunk, i, i + want)
    const t = Math.min(want, take)
    chunk.copy(this.head, this.headFill, i, i + t)
    this.headFill += t
    if (this.headFill === this.headNeed) this.report(this.head, 0, this.headNeed)
  }

  private report(bytes: Buffer, start: number, end: number) {
    const e = this.waiting!
    this.waiting = null
    this.headFill = 0
    if (isCompressedContent(e.p, bytes, start, end)) e.z = 1
    this.onEntry(e)
  }

  /** The header is h[b, b + 512), at byte `at` of the stream. */
  private readHeader(h: Buffer, b: number, at: number) {
    if (isZero(h, b)) {
      if (++this.zeroBlocks >= 2) this.finished = true
      return
    }
    if (this.zeroBlocks) throw new NotATarError(`a header follows an end-of-archive block at byte ${at}`)
    const stored = octal(h, b + 148, 8)
    if (stored === null || !checksumMatches(h, b, stored)) throw new NotATarError(`no valid tar header at byte ${at} (checksum mismatch)`)
    const type = String.fromCharCode(h[b + 156])
    const headerSize = number(h, b, 124, 12, at)
    const dataAt = at + BLOCK

    if (type === 'x' || type === 'g' || type === 'L' || type === 'K') {
      const size = headerSize
      const padded = Math.ceil(size / BLOCK) * BLOCK
      if (size > MAX_META_BYTES) throw new NotATarError(`a ${type === 'L' || type === 'K' ? 'GNU long name' : 'PAX'} record of ${size} bytes at byte ${at} (limit ${MAX_META_BYTES})`)
      this.meta = { kind: type, parts: [], left: size, pad: padded - size }
      if (size === 0) {
        this.meta = null
        this.takeMeta(type, Buffer.alloc(0))
      }
      return
    }

    const next = this.next
    const size = next.size ?? headerSize
    const padded = Math.ceil(size / BLOCK) * BLOCK
    const name = this.entryName(h, b)
    const { path, note } = normalizePath(name.text)
    let t: EntryType = TYPES[type] ?? 'other'
    const e: IndexEntry = {
      p: path,
      t,
      s: t === 'file' ? size : 0,
      m: number(h, b, 100, 8, at) & 0o7777,
      u: next.uid ?? this.global.uid ?? number(h, b, 108, 8, at),
      g: next.gid ?? this.global.gid ?? number(h, b, 116, 8, at),
      mt: next.mtime ?? this.global.mtime ?? number(h, b, 136, 12, at),
    }
    if (t === 'file') {
      // ".wh." first: nearly no name has it, and the two checks below cost string slices
      if (path.includes('.wh.') && isOpaqueMarker(path)) t = e.t = 'opaque'
      else {
        const hidden = path.includes('.wh.') ? whiteoutTarget(path) : null
        if (hidden !== null) {
          t = e.t = 'whiteout'
          e.l = hidden
        } else e.o = dataAt
      }
      if (t !== 'file') e.s = 0
    }
    if (t === 'symlink' || t === 'hardlink') {
      const link = decodeName(next.linkpath ?? this.global.linkpath ?? h.subarray(b + 157, fieldEnd(h, b + 157, 100)))
      e.l = t === 'hardlink' ? normalizePath(link.text).path : link.text
      if (!link.utf8) e.b = 1
    }
    if (!name.utf8) e.b = 1
    if (note) e.x = note
    if (this.nextUsed) {
      this.next = {}
      this.nextUsed = false
    }
    this.entries++
    this.skip = HEADER_ONLY.has(type) ? 0 : padded
    if (t === 'file' && e.s > 0) {
      this.waiting = e // reported once its first bytes were read
      this.headNeed = Math.min(e.s, HEAD_BYTES)
    } else this.onEntry(e)
  }

  /** The entry's name: a PAX or GNU long name, else the header's (ustar: prefix "/" name). */
  private entryName(h: Buffer, b: number): { text: string; utf8: boolean } {
    const long = this.next.path ?? this.global.path
    if (long) return decodeName(long)
    const nameEnd = fieldEnd(h, b, 100)
    const ustar = h[b + 257] === 0x75 && h[b + 258] === 0x73 && h[b + 259] === 0x74 && h[b + 260] === 0x61 && h[b + 261] === 0x72 && h[b + 262] === 0
    const prefixEnd = ustar ? fieldEnd(h, b + 345, 155) : b + 345
    if (prefixEnd === b + 345) {
      if (isAscii(h, b, nameEnd)) return { text: h.toString('latin1', b, nameEnd), utf8: true } // the common case: no copy
      return decodeName(h.subarray(b, nameEnd))
    }
    return decodeName(Buffer.concat([h.subarray(b + 345, prefixEnd), SLASH, h.subarray(b, nameEnd)]))
  }

  private takeMeta(kind: string, data: Buffer) {
    this.nextUsed = true
    if (kind === 'L') this.next.path = data.subarray(0, fieldEnd(data, 0, data.length))
    else if (kind === 'K') this.next.linkpath = data.subarray(0, fieldEnd(data, 0, data.length))
    else parsePax(data, kind === 'g' ? this.global : this.next)
  }
}

const SLASH = Buffer.from('/')

function isZero(h: Buffer, b: number) {
  for (let i = b; i < b + BLOCK; i++) if (h[i] !== 0) return false
  return true
}

/** Where a NUL-terminated field of `length` bytes at `start` ends. */
function fieldEnd(h: Buffer, start: number, length: number): number {
  const end = start + length
  for (let i = start; i < end; i++) if (h[i] === 0) return i
  return end
}

function isAscii(h: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (h[i] >= 0x80) return false
  return true
}

/** An octal field (NUL/space padded); null when it holds anything else. Byte by byte: this runs five
 *  times per entry, and string + regex parsing made it the scanner's main cost. */
function octal(b: Buffer, start: number, length: number): number | null {
  let i = start
  const end = start + length
  while (i < end && b[i] === 0x20) i++
  let v = 0
  for (; i < end; i++) {
    const c = b[i]
    if (c >= 0x30 && c <= 0x37) {
      v = v * 8 + (c - 0x30)
    } else break
  }
  for (; i < end; i++) if (b[i] !== 0 && b[i] !== 0x20) return null
  return v
}

/** The numeric field at `field` of the header h[b…]: octal, or GNU base-256 when the high bit of its first byte is set. */
function number(h: Buffer, b: number, field: number, length: number, at: number): number {
  const start = b + field
  if (h[start] & 0x80) {
    let v = h[start] & 0x7f
    for (let i = start + 1; i < start + length; i++) v = v * 256 + h[i]
    return v
  }
  const v = octal(h, start, length)
  if (v === null) throw new NotATarError(`a numeric header field at byte ${at + field} is not a number`)
  return v
}

/** 512 aligned bytes to sum the header a word at a time */
const words = new Uint32Array(BLOCK / 4)
const wordBytes = new Uint8Array(words.buffer)

function checksumMatches(h: Buffer, b: number, stored: number): boolean {
  // sums two bytes per 16-bit lane of each word (at most 128 * 510 < 65536 per lane): a quarter of the
  // loop of a byte-wise sum, which was a third of the scanner's time
  wordBytes.set(h.subarray(b, b + BLOCK))
  let lanes = 0
  for (let i = 0; i < BLOCK / 4; i++) {
    const x = words[i]
    lanes += (x & 0xff00ff) + ((x >>> 8) & 0xff00ff)
  }
  let unsigned = (lanes & 0xffff) + Math.floor(lanes / 0x10000)
  // the checksum field itself counts as eight spaces
  for (let i = b + 148; i < b + 156; i++) unsigned -= h[i]
  unsigned += 8 * 32
  if (stored === unsigned) return true
  // some old tars summed signed bytes
  let signed = 8 * 32
  for (let i = 0; i < BLOCK; i++) if (i < 148 || i >= 156) signed += h[b + i] > 127 ? h[b + i] - 256 : h[b + i]
  return stored === signed
}

/** PAX records "<len> <key>=<value>\n"; only the keys the index uses. */
function parsePax(data: Buffer, into: Meta) {
  let i = 0
  while (i < data.length) {
    const space = data.indexOf(0x20, i)
    if (space === -1) break
    const len = parseInt(data.toString('latin1', i, space), 10)
    if (!(len > 0) || i + len > data.length) throw new NotATarError('malformed PAX record')
    const record = data.subarray(space + 1, i + len - 1) // without the trailing newline
    const eq = record.indexOf(0x3d)
    if (eq !== -1) {
      const key = record.toString('latin1', 0, eq)
      const value = record.subarray(eq + 1)
      if (key === 'path') into.path = value
      else if (key === 'linkpath') into.linkpath = value
      else if (key === 'size' || key === 'uid' || key === 'gid' || key === 'mtime') {
        const v = Math.floor(Number(value.toString('latin1')))
        if (!Number.isFinite(v) || v < 0) throw new NotATarError(`PAX ${key} is not a number`)
        into[key] = v
      }
    }
    i += len
  }
}
