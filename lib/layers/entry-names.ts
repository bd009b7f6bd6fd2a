// How a tar entry's raw name becomes the path the index shows: bytes kept visible (non-UTF-8 bytes
// escaped as \xNN), leading "/" and "./" removed, "." and empty segments dropped. Names that would
// escape the root ("..") or were absolute are kept, with a note, never silently dropped: the index
// shows what the layer holds, including what docker would refuse to extract.

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** The name as text: UTF-8 when it is valid, otherwise every byte >= 0x80 escaped as \xNN. */
export function decodeName(bytes: Buffer): { text: string; utf8: boolean } {
  let ascii = true
  for (let i = 0; i < bytes.length; i++) if (bytes[i] >= 0x80) ascii = false
  if (ascii) return { text: bytes.toString('latin1'), utf8: true } // the common case, without a decoder
  try {
    return { text: utf8.decode(bytes), utf8: true }
  } catch {
    let text = ''
    for (const b of bytes) text += b < 0x80 ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`
    return { text, utf8: false }
  }
}

export type NormalizedPath = { path: string; note?: string }

/** what makes a name need more than dropping a trailing "/": "." or ".." segments, "//" (nearly no real name) */
const DOT_SEGMENT = /(?:^|\/)\.{1,2}(?:\/|$)|\/\//

/** "./usr//lib/./x/" → "usr/lib/x"; "/etc/passwd" → "etc/passwd" (noted); "a/../../b" → "../b" (noted). */
export function normalizePath(name: string): NormalizedPath {
  if (name !== '' && !name.startsWith('/') && !DOT_SEGMENT.test(name)) return { path: name.endsWith('/') ? name.slice(0, -1) : name }
  return normalizeSlowly(name)
}

function normalizeSlowly(name: string): NormalizedPath {
  const absolute = name.startsWith('/')
  const out: string[] = []
  let escapes = false
  for (const seg of name.split('/')) {
    if (seg === '' || seg === '.') continue
    if (seg === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop()
      else {
        out.push('..')
        escapes = true
      }
      continue
    }
    out.push(seg)
  }
  const path = out.join('/')
  const note = escapes ? 'path leaves the layer root (..)' : absolute ? 'absolute path' : undefined
  return note ? { path, note } : { path }
}

export const WHITEOUT_PREFIX = '.wh.'
export const OPAQUE_MARKER = '.wh..wh..opq'

/** The entry a whiteout hides ("a/.wh.b" → "a/b"), or null for other names. */
export function whiteoutTarget(path: string): string | null {
  const slash = path.lastIndexOf('/')
  const base = path.slice(slash + 1)
  if (!base.startsWith(WHITEOUT_PREFIX) || base === OPAQUE_MARKER) return null
  return path.slice(0, slash + 1) + base.slice(WHITEOUT_PREFIX.length)
}

export const isOpaqueMarker = (path: string) => path === OPAQUE_MARKER || path.endsWith('/' + OPAQUE_MARKER)
