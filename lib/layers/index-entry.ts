// One line of a layer index object: a tar entry, with short keys (the index of a 200,000-file layer is
// read whole for each directory page, so every byte counts). The path comes first so that a reader can
// skip lines outside a directory without parsing them (index-reader.ts).

export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'whiteout' | 'opaque' | 'char' | 'block' | 'fifo' | 'other'

export type IndexEntry = {
  /** normalized path (entry-names.ts), never starting with "/" */
  p: string
  t: EntryType
  /** bytes of file data (0 for everything but regular files) */
  s: number
  m: number
  u: number
  g: number
  /** modification time, seconds since the epoch */
  mt: number
  /** byte offset of the file data in the indexed stream (regular files) */
  o?: number
  /** link target (symlink, hardlink) or, for a whiteout, the path it hides */
  l?: string
  /** set when the name was not valid UTF-8 (its bytes >= 0x80 are escaped as \xNN) */
  b?: 1
  /** what is odd about the name: absolute, leaves the root */
  x?: string
  /** a regular file whose content is already compressed (content-kinds.ts); absent: compressible */
  z?: 1
  /** in a merged image index (merged-tree.ts appends it to a layer's line): the position of the layer the entry comes from */
  y?: number
}

/** '"' + s + '"' is the JSON of s unless s holds a quote, a backslash, a control character or a lone surrogate */
const PLAIN = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/

const jsonString = (s: string) => (PLAIN.test(s) ? '"' + s + '"' : JSON.stringify(s))

/**
 * The entry's index line: what JSON.stringify gives (same keys, same order: p, t, s first, as
 * index-reader's lineHead expects), built by hand because JSON.stringify of each of 200,000 objects was
 * a third of the index build's time.
 */
export function entryLine(e: IndexEntry): string {
  let line = '{"p":' + jsonString(e.p) + ',"t":"' + e.t + '","s":' + e.s + ',"m":' + e.m + ',"u":' + e.u + ',"g":' + e.g + ',"mt":' + e.mt
  if (e.o !== undefined) line += ',"o":' + e.o
  if (e.l !== undefined) line += ',"l":' + jsonString(e.l)
  if (e.b) line += ',"b":1'
  if (e.x !== undefined) line += ',"x":' + jsonString(e.x)
  if (e.z) line += ',"z":1'
  if (e.y !== undefined) line += ',"y":' + e.y
  return line + '}\n'
}

/** The entry as the API shows it (long names). */
export function publicEntry(e: IndexEntry) {
  return {
    path: e.p,
    type: e.t,
    size: e.s,
    mode: e.m,
    uid: e.u,
    gid: e.g,
    mtime: e.mt,
    ...(e.l !== undefined ? { linkTarget: e.l } : {}),
    ...(e.b ? { nonUtf8Name: true } : {}),
    ...(e.x ? { note: e.x } : {}),
    ...(e.z ? { compressedContent: true } : {}),
    ...(e.y !== undefined ? { layer: e.y } : {}),
  }
}
