// What a person is told when an upload is plainly not an image archive. Pure and browser-safe: the
// server (import-archive, archive-reader, image-layout) and the browser's preview
// (preview-archive) import the same text, so both say exactly the same thing.

export type ArchiveFormat = 'none' | 'gzip' | 'zstd' | 'bzip2' | 'xz' | 'zip'

/** Recognises compression and zip by magic bytes (never by file name). `none` may still be a tar. */
export function detectArchiveFormat(head: Uint8Array): ArchiveFormat {
  const at = (i: number) => head[i]
  if (head.length >= 2 && at(0) === 0x1f && at(1) === 0x8b) return 'gzip'
  if (head.length >= 4 && at(0) === 0x28 && at(1) === 0xb5 && at(2) === 0x2f && at(3) === 0xfd) return 'zstd'
  if (head.length >= 3 && at(0) === 0x42 && at(1) === 0x5a && at(2) === 0x68) return 'bzip2' // "BZh"
  if (head.length >= 6 && [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00].every((b, i) => at(i) === b)) return 'xz'
  if (head.length >= 4 && at(0) === 0x50 && at(1) === 0x4b && at(2) === 0x03 && at(3) === 0x04) return 'zip'
  return 'none'
}

const MAKE_ONE = '`docker save -o image.tar repo:tag`'

export const ArchiveMessage = {
  empty: 'the upload is empty (0 bytes)',
  zip: `this is a zip file, not a tar archive; upload the .tar that ${MAKE_ONE} writes`,
  unsupportedCompression: (format: string) => `the archive is ${format}-compressed; upload it uncompressed or gzip-compressed`,
  notATar: `the upload is not a tar archive (make it with ${MAKE_ONE})`,
  noEntries: 'the upload contains no tar entries',
  corruptHeader: (entry: number) => `the archive is corrupt: entry ${entry} has an invalid tar header`,
  truncated: (entries: number) => `the archive ends unexpectedly after ${entries} entr${entries === 1 ? 'y' : 'ies'} (truncated upload or file)`,
  /** How an API caller names an unnamed image; the console replaces it with its own form. */
  nameRequiredApiHint: 'give one with ?repository=NAME&tag=TAG',
  entryNameNul: (raw: string) => `archive entry name contains a NUL byte: ${JSON.stringify(raw)}`,
  entryAbsolute: (raw: string) => `archive entry "${raw}" is an absolute path; entries must stay inside the archive`,
  entryDotDot: (raw: string) => `archive entry "${raw}" contains ".."; entries must stay inside the archive`,
  linkAbsolute: (link: string, target: string) => `archive entry "${link}" links to the absolute path "${target}"`,
  linkOutside: (link: string, target: string) => `archive entry "${link}" links to "${target}", outside the archive`,
  referenceNotPath: (what: string) => `${what} must be a non-empty path string`,
  referenceOutside: (what: string, ref: string) => `${what} "${ref}" points outside the archive`,
  jsonTooLarge: (path: string, size: number, limit: number) => `${path} is ${size} bytes; JSON documents are limited to ${limit} bytes`,
  jsonTooDeep: (name: string, limit: number) => `${name} nests deeper than ${limit} levels`,
  jsonInvalid: (name: string, parseError: string) => `${name} is not valid JSON: ${parseError}`,
  duplicateEntry: (path: string) => `the archive contains "${path}" more than once`,
  configMissing: (path: string) => `the image config "${path}" named by the manifest is not in the archive`,
  layerMissing: (index: number, path: string) => `layer ${index} "${path}" named by the manifest is not in the archive`,
  layoutUnknown: 'the archive has neither manifest.json (docker save) nor index.json (OCI layout); is it really a `docker save` archive?',
} as const
