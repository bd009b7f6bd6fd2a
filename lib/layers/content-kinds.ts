// Whether a file in a layer is already compressed (gzip, zip/jar/wheel, png, jpeg, woff2, zstd, xz, …)
// or compressible, so that a layer's compressed size can be explained: bytes of already-compressed
// content shrink next to nothing under gzip, the rest is what gzip works on. Decided from the first
// bytes of the file's data (magic numbers), which the tar scanner sees anyway, with the name's extension
// as the fallback for formats without a magic number (brotli, raw mp3 frames) or ones we do not test.
// ELF binaries and shared libraries (.so) are compressible: code and symbol tables shrink to roughly a
// third under gzip, so they count as compressible whatever their name.

/** How many leading data bytes the signatures below need (RIFF....WEBP, ....ftyp). */
export const HEAD_BYTES = 12

type Signature = { format: string; at: number; bytes: number[] }

const sig = (format: string, bytes: number[] | string, at = 0): Signature => ({
  format,
  at,
  bytes: typeof bytes === 'string' ? [...bytes].map((c) => c.charCodeAt(0)) : bytes,
})

/** Signatures of compressed or compressed-container formats, checked in this order. */
const SIGNATURES: Signature[] = [
  sig('gzip', [0x1f, 0x8b]),
  sig('compress', [0x1f, 0x9d]),
  sig('zstd', [0x28, 0xb5, 0x2f, 0xfd]),
  sig('xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]),
  sig('lzip', 'LZIP'),
  sig('lz4', [0x04, 0x22, 0x4d, 0x18]),
  sig('lz4', [0x02, 0x21, 0x4c, 0x18]), // legacy frame
  sig('7z', [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]),
  sig('rar', 'Rar!\x1a\x07'),
  sig('zip', 'PK\x03\x04'), // also jar, war, apk, whl, egg, nupkg, docx
  sig('zip', 'PK\x05\x06'), // an empty zip
  sig('zip', 'PK\x07\x08'), // a spanned zip
  sig('png', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  sig('jpeg', [0xff, 0xd8, 0xff]),
  sig('gif', 'GIF87a'),
  sig('gif', 'GIF89a'),
  sig('woff', 'wOFF'),
  sig('woff2', 'wOF2'),
  sig('ogg', 'OggS'),
  sig('flac', 'fLaC'),
  sig('mp3', 'ID3'),
  sig('mp4', 'ftyp', 4), // mp4, m4a, mov, heic, avif
  sig('squashfs', 'hsqs'),
]

/** RIFF is a container; only its WEBP form is compressed (a WAV is not). */
const RIFF = sig('riff', 'RIFF')
const WEBP = sig('webp', 'WEBP', 8)

const BZIP2 = sig('bzip2', 'BZh')

/** The signatures by their first byte (most files match none: one array look-up decides) */
const BY_FIRST_BYTE: Signature[][] = Array.from({ length: 256 }, () => [])
const ELSEWHERE: Signature[] = []
for (const s of SIGNATURES) (s.at === 0 ? BY_FIRST_BYTE[s.bytes[0]] : ELSEWHERE).push(s)

function matches(bytes: Uint8Array, start: number, end: number, s: Signature): boolean {
  const at = start + s.at
  if (end - at < s.bytes.length) return false
  for (let i = 0; i < s.bytes.length; i++) if (bytes[at + i] !== s.bytes[i]) return false
  return true
}

/**
 * The compressed format that a file's first bytes announce, or null. The bytes are `head[start, end)`:
 * the tar scanner passes its chunk and offsets, so that nothing is copied.
 */
export function compressedFormatOf(head: Uint8Array, start = 0, end = head.length): string | null {
  if (end - start < 2) return null
  for (const s of BY_FIRST_BYTE[head[start]]) if (matches(head, start, end, s)) return s.format
  for (const s of ELSEWHERE) if (matches(head, start, end, s)) return s.format
  // "BZh" then the block size digit 1-9: "BZh" alone is too common a start of text
  if (matches(head, start, end, BZIP2) && end - start > 3 && head[start + 3] >= 0x31 && head[start + 3] <= 0x39) return 'bzip2'
  if (matches(head, start, end, RIFF) && matches(head, start, end, WEBP)) return 'webp'
  return null
}

/** Extensions of compressed formats (lower case), for files whose first bytes do not tell. */
const COMPRESSED_EXTENSIONS = new Set(
  (
    'gz tgz z zst zstd tzst xz txz lzma tlz lz lz4 bz2 tbz tbz2 br 7z rar ' +
    'zip jar war ear apk aab whl egg nupkg xpi crx ipa ' +
    'deb rpm apk snap squashfs ' +
    'png jpg jpeg gif webp avif heic heif jxl woff woff2 ' +
    'mp3 mp4 m4a m4v mov mkv webm ogg oga ogv opus flac aac'
  ).split(' '),
)

/** Whether the name's extension is one of a compressed format ("app.tar.gz", "font.woff2", "x.br"). */
export function compressedByExtension(path: string): boolean {
  const dot = path.lastIndexOf('.')
  if (dot === -1 || dot === path.length - 1) return false
  const slash = path.lastIndexOf('/')
  if (dot <= slash + 1) return false // ".gz" alone is a hidden file's name, not an extension
  return COMPRESSED_EXTENSIONS.has(path.slice(dot + 1).toLowerCase())
}

/**
 * True when a file's bytes are already compressed: by its first data bytes (`head`, up to HEAD_BYTES
 * of them, fewer for a shorter file), else by its name's extension.
 */
export function isCompressedContent(path: string, head: Uint8Array, start = 0, end = head.length): boolean {
  return compressedFormatOf(head, start, end) !== null || compressedByExtension(path)
}
