// Walks a tar held in a Blob/File (browser) by its 512-byte headers, jumping over entry bodies:
// a multi-GB archive is mapped in a few reads of its headers. Pure and browser-safe (no node:
// imports). Understands ustar, GNU long names/links ('L'/'K') and pax headers ('x'/'g', bounded);
// stops with a clear rejection on a header that is not a tar header or an archive cut short.
import { ArchiveMessage } from './archive-messages'
import { entryPathOrFail, linkTargetOrFail } from './entry-path-rules'

/** What File and Blob offer (Node's Blob too, for tests). */
export type BlobLike = { size: number; slice(start?: number, end?: number): { arrayBuffer(): Promise<ArrayBuffer> } }

export type TarEntryInfo = {
  path: string
  type: 'file' | 'symlink' | 'hardlink' | 'directory' | 'other'
  size: number
  /** byte offset of the entry's data in the archive */
  offset: number
  linkTarget: string | null
}


/** A file the preview can already tell the server would refuse: the code and message the server gives. */
export class PreviewRejection extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'PreviewRejection'
  }
}

export type WalkLimits = { maxEntries: number; maxPaxBytes: number }
export const DEFAULT_WALK_LIMITS: WalkLimits = { maxEntries: 20_000, maxPaxBytes: 1024 * 1024 }

const BLOCK = 512
/** Headers are read through a window this large, so runs of small entries cost one read. */
const WINDOW = 64 * 1024

/** Reads ranges of a blob through a read-ahead window. */
export class BlobReader {
  private windowStart = 0
  private window = new Uint8Array(0)
  constructor(readonly blob: BlobLike) {}

  async read(start: number, length: number): Promise<Uint8Array> {
    const end = Math.min(this.blob.size, start + length)
    if (start >= this.windowStart && end <= this.windowStart + this.window.length) {
      return this.window.subarray(start - this.windowStart, end - this.windowStart)
    }
    if (length <= WINDOW) {
      this.windowStart = start
      this.window = new Uint8Array(await this.blob.slice(start, Math.min(this.blob.size, start + WINDOW)).arrayBuffer())
      return this.window.subarray(0, end - start)
    }
    return new Uint8Array(await this.blob.slice(start, end).arrayBuffer())
  }
}

const latin1 = (b: Uint8Array) => {
  let s = ''
  for (const c of b) s += String.fromCharCode(c)
  return s
}
const utf8 = (b: Uint8Array) => new TextDecoder().decode(b)
const cString = (b: Uint8Array) => {
  const nul = b.indexOf(0)
  return utf8(nul === -1 ? b : b.subarray(0, nul))
}

function octal(b: Uint8Array): number | null {
  const s = latin1(b).replace(/\0.*$/s, '').trim()
  if (s === '') return 0
  if (!/^[0-7]+$/.test(s)) return null
  return parseInt(s, 8)
}

/** Sizes are octal, or base-256 (GNU) when the high bit of the first byte is set. */
function numeric(b: Uint8Array): number | null {
  if (b[0] & 0x80) {
    if (b[0] & 0x40) return null // negative
    let n = b[0] & 0x3f
    for (let i = 1; i < b.length; i++) {
      n = n * 256 + b[i]
      if (n > Number.MAX_SAFE_INTEGER) return null
    }
    return n
  }
  return octal(b)
}

const isZeroBlock = (b: Uint8Array) => b.every((x) => x === 0)

function checksumMatches(h: Uint8Array): boolean {
  const stored = octal(h.subarray(148, 156))
  if (stored === null) return false
  let unsigned = 0
  let signed = 0
  for (let i = 0; i < BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : h[i]
    unsigned += c
    signed += c > 127 ? c - 256 : c
  }
  return stored === unsigned || stored === signed
}

/** "len key=value\n" records; only the keys the walk needs. */
function parsePax(b: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {}
  const text = utf8(b)
  let i = 0
  while (i < text.length) {
    const space = text.indexOf(' ', i)
    if (space === -1) break
    const len = Number(text.slice(i, space))
    if (!Number.isInteger(len) || len <= 0) break
    const record = text.slice(space + 1, i + len).replace(/\n$/, '')
    const eq = record.indexOf('=')
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1)
    i += len
  }
  return out
}

const invalidEntry = (message: string): never => {
  throw new PreviewRejection('ENTRY_PATH_INVALID', message)
}

/** "./a//b/" -> "a/b"; names that would leave the archive are refused, as the server refuses them. */
export const normalizeTarPath = (raw: string): string => entryPathOrFail(raw, invalidEntry)

/** A symlink's target relative to its own folder; one that leaves the archive is refused. */
export const resolveLink = (linkPath: string, target: string): string => linkTargetOrFail(linkPath, target, invalidEntry)

const TYPES: Record<string, TarEntryInfo['type']> = { '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '5': 'directory' }

/** Every entry of the tar, in order, without reading entry bodies (except long names and pax headers). */
export async function walkTar(reader: BlobReader, limits: WalkLimits = DEFAULT_WALK_LIMITS): Promise<TarEntryInfo[]> {
  const size = reader.blob.size
  const entries: TarEntryInfo[] = []
  const seen = new Set<string>()
  let pos = 0
  let longName: string | null = null
  let longLink: string | null = null
  let pax: Record<string, string> = {}
  while (pos < size) {
    if (size - pos < BLOCK) {
      const rest = await reader.read(pos, size - pos)
      if (isZeroBlock(rest)) break // padding after the end
      throw entries.length === 0 ? new PreviewRejection('NOT_A_TAR', ArchiveMessage.notATar) : new PreviewRejection('TRUNCATED', ArchiveMessage.truncated(entries.length))
    }
    const h = await reader.read(pos, BLOCK)
    if (isZeroBlock(h)) break // end-of-archive marker
    if (!checksumMatches(h)) {
      throw entries.length <= 1 ? new PreviewRejection('NOT_A_TAR', ArchiveMessage.notATar) : new PreviewRejection('NOT_A_TAR', ArchiveMessage.corruptHeader(entries.length))
    }
    const typeflag = String.fromCharCode(h[156])
    const headerSize = numeric(h.subarray(124, 136))
    if (headerSize === null) throw new PreviewRejection('NOT_A_TAR', ArchiveMessage.corruptHeader(entries.length + 1))
    const dataStart = pos + BLOCK
    const next = dataStart + Math.ceil(headerSize / BLOCK) * BLOCK

    if (typeflag === 'L' || typeflag === 'K' || typeflag === 'x' || typeflag === 'g') {
      if (headerSize > limits.maxPaxBytes) {
        throw new PreviewRejection('NOT_A_TAR', `the archive is corrupt: entry ${entries.length + 1} has a ${headerSize}-byte extended header (at most ${limits.maxPaxBytes} bytes make sense)`)
      }
      if (dataStart + headerSize > size) throw new PreviewRejection('TRUNCATED', ArchiveMessage.truncated(entries.length))
      const data = (await reader.read(dataStart, headerSize)).slice()
      if (typeflag === 'L') longName = cString(data)
      else if (typeflag === 'K') longLink = cString(data)
      else if (typeflag === 'x') pax = parsePax(data) // 'g' (global) headers carry nothing a docker archive needs
      pos = next
      continue
    }

    if (entries.length + 1 > limits.maxEntries) {
      throw new PreviewRejection('TOO_MANY_ENTRIES', `the archive has more than ${limits.maxEntries} entries; a docker save archive has a few per layer`)
    }
    const ustar = latin1(h.subarray(257, 263)) === 'ustar\0'
    const prefix = ustar ? cString(h.subarray(345, 500)) : ''
    const headerName = (prefix ? prefix + '/' : '') + cString(h.subarray(0, 100))
    const rawName = pax.path ?? longName ?? headerName
    const rawLink = pax.linkpath ?? longLink ?? cString(h.subarray(157, 257))
    const paxSize = pax.size !== undefined ? Number(pax.size) : null
    const entrySize = paxSize !== null && Number.isSafeInteger(paxSize) && paxSize >= 0 ? paxSize : headerSize
    const dataEnd = dataStart + Math.ceil(entrySize / BLOCK) * BLOCK
    longName = longLink = null
    pax = {}

    // Checked in the order the server's reader checks them, so the first problem is the one it reports.
    const path = normalizeTarPath(rawName)
    const type = TYPES[typeflag] ?? 'other'
    if (type !== 'directory' && path !== '') {
      if (seen.has(path)) throw new PreviewRejection('DUPLICATE_ENTRY', ArchiveMessage.duplicateEntry(path))
      seen.add(path)
    }
    entries.push({
      path,
      type,
      size: type === 'file' ? entrySize : 0,
      offset: dataStart,
      linkTarget: type === 'symlink' ? resolveLink(path, rawLink) : type === 'hardlink' ? normalizeTarPath(rawLink) : null,
    })
    if (dataStart + entrySize > size) throw new PreviewRejection('TRUNCATED', ArchiveMessage.truncated(entries.length))
    pos = type === 'file' ? dataEnd : next
  }
  if (entries.length === 0) throw new PreviewRejection('NOT_A_TAR', ArchiveMessage.noEntries)
  return entries
}
