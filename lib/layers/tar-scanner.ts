// A push parser for tar streams that reports each entry with the byte offset of its data, and never
// copies file data: chunks are fed as they are read (the same chunks the compressed-size measurement
// sees), headers are parsed in place, data bytes are only counted. Memory is one 512-byte header plus
// the current PAX / GNU long-name record (capped). Understands ustar, GNU (long names, base-256
// numbers) and PAX (path, linkpath, size, uid, gid, mtime), like Go's archive/tar that docker uses.
import { decodeName, normalizePath, whiteoutTarget, isOpaqueMarker } from './entry-names'
import type { EntryType, IndexEntry } from './index-entry'

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
  private global: Meta = {}
  private zeroBlocks = 0

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
        this.skip -= take
        i += take
        this.position += take
        continue
      }
      const take = Math.min(BLOCK - this.headerFill, n - i)
      chunk.copy(this.header, this.headerFill, i, i + take)
      this.headerFill += take
      i += take
      this.position += take
      if (this.headerFill === BLOCK) {
        this.headerFill = 0
        this.readHeader(this.position - BLOCK)
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

  private readHeader(at: number) {
    const h = this.header
    if (isZero(h)) {
      if (++this.zeroBlocks >= 2) this.finished = true
      return
    }
    if (this.zeroBlocks) throw new NotATarError(`a header follows an end-of-archive block at byte ${at}`)
    const stored = octal(h, 148, 8)
    if (stored === null || !checksumMatches(h, stored)) throw new NotATarError(`no valid tar header at byte ${at} (checksum mismatch)`)
    const type = String.fromCharCode(h[156])
    const headerSize = number(h, 124, 12, at)
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

    const size = this.next.size ?? headerSize
    const padded = Math.ceil(size / BLOCK) * BLOCK
    const ustar = h.toString('latin1', 257, 263) === 'ustar\0'
    let rawName = this.next.path ?? this.global.path
    if (!rawName) {
      const name = cstring(h, 0, 100)
      const prefix = ustar ? cstring(h, 345, 155) : Buffer.alloc(0)
      rawName = prefix.length ? Buffer.concat([prefix, Buffer.from('/'), name]) : name
    }
    const rawLink = this.next.linkpath ?? this.global.linkpath ?? cstring(h, 157, 100)
    const name = decodeName(rawName)
    const { path, note } = normalizePath(name.text)
    let t: EntryType = TYPES[type] ?? 'other'
    const e: IndexEntry = {
      p: path,
      t,
      s: t === 'file' ? size : 0,
      m: number(h, 100, 8, at) & 0o7777,
      u: this.next.uid ?? this.global.uid ?? number(h, 108, 8, at),
      g: this.next.gid ?? this.global.gid ?? number(h, 116, 8, at),
      mt: this.next.mtime ?? this.global.mtime ?? number(h, 136, 12, at),
    }
    if (t === 'file') {
      if (isOpaqueMarker(path)) t = e.t = 'opaque'
      else {
        const hidden = whiteoutTarget(path)
        if (hidden !== null) {
          t = e.t = 'whiteout'
          e.l = hidden
        } else e.o = dataAt
      }
      if (t !== 'file') e.s = 0
    }
    if (t === 'symlink' || t === 'hardlink') {
      const link = decodeName(rawLink)
      e.l = t === 'hardlink' ? normalizePath(link.text).path : link.text
      if (!link.utf8) e.b = 1
    }
    if (!name.utf8) e.b = 1
    if (note) e.x = note
    this.next = {}
    this.entries++
    this.onEntry(e)
    this.skip = HEADER_ONLY.has(type) ? 0 : padded
  }

  private takeMeta(kind: string, data: Buffer) {
    if (kind === 'L') this.next.path = cstring(data, 0, data.length)
    else if (kind === 'K') this.next.linkpath = cstring(data, 0, data.length)
    else parsePax(data, kind === 'g' ? this.global : this.next)
  }
}

function isZero(b: Buffer) {
  for (let i = 0; i < BLOCK; i++) if (b[i] !== 0) return false
  return true
}

/** The bytes of a NUL-terminated field. */
function cstring(b: Buffer, start: number, length: number): Buffer {
  const end = b.indexOf(0, start)
  return b.subarray(start, end === -1 || end > start + length ? start + length : end)
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

/** A numeric field: octal, or GNU base-256 when the high bit of its first byte is set. */
function number(b: Buffer, start: number, length: number, at: number): number {
  if (b[start] & 0x80) {
    let v = b[start] & 0x7f
    for (let i = start + 1; i < start + length; i++) v = v * 256 + b[i]
    return v
  }
  const v = octal(b, start, length)
  if (v === null) throw new NotATarError(`a numeric header field at byte ${at + start} is not a number`)
  return v
}

function checksumMatches(h: Buffer, stored: number): boolean {
  // the checksum field itself counts as eight spaces
  let unsigned = 8 * 32
  for (let i = 0; i < 148; i++) unsigned += h[i]
  for (let i = 156; i < BLOCK; i++) unsigned += h[i]
  if (stored === unsigned) return true
  // some old tars summed signed bytes
  let signed = 8 * 32
  for (let i = 0; i < BLOCK; i++) if (i < 148 || i >= 156) signed += h[i] > 127 ? h[i] - 256 : h[i]
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
