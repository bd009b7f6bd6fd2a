// The shapes of the file listings (README "Layer index API", contract-13.md) and the pure helpers the
// browser shows them with: `ls -l` mode strings and one directory's parent chain.

export type FileEntry = {
  name: string
  path: string
  type: string // file dir symlink hardlink whiteout opaque char block fifo
  size: number
  mode: number
  uid: number
  gid: number
  mtime: number
  linkTarget?: string
  files?: number
  bytes?: number // merged view: a directory's bytes below it (the per-layer view puts them in size)
  implicit?: boolean
  duplicates?: number
  note?: string
  nonUtf8Name?: boolean
  layer?: number // merged view: the position of the layer the entry comes from
  layerDigest?: string | null
}

export type Listing = {
  path: string
  page: number
  pageSize: number
  total: number
  totals: { files: number; bytes: number }
  entries: FileEntry[]
  layers?: { position: number; digest: string; state: string; createdBy?: string | null }[]
  incomplete?: boolean
}

export type SearchResult = { query: string; total: number; page: number; pageSize: number; entries: FileEntry[]; incomplete?: boolean }

/** 202 of a layer listing ({digest, state}) or of an image endpoint ({state, layers}). */
export type Building = { state: string; digest?: string; layers?: { position: number; digest: string; state: string }[] }

const TYPE_CHAR: Record<string, string> = { dir: 'd', symlink: 'l', char: 'c', block: 'b', fifo: 'p' }

/** 0o4755 as a directory -> "drwsr-xr-x", as `ls -l` writes it. */
export function modeString(type: string, mode: number): string {
  const bits = (shift: number, special: boolean, specialChar: string) => {
    const v = (mode >> shift) & 7
    const x = v & 1 ? (special ? specialChar : 'x') : special ? specialChar.toUpperCase() : '-'
    return (v & 4 ? 'r' : '-') + (v & 2 ? 'w' : '-') + x
  }
  return (TYPE_CHAR[type] ?? '-') + bits(6, (mode & 0o4000) !== 0, 's') + bits(3, (mode & 0o2000) !== 0, 's') + bits(0, (mode & 0o1000) !== 0, 't')
}

/** "usr/lib/x" -> [{name:"usr", path:"usr"}, {name:"lib", path:"usr/lib"}, {name:"x", path:"usr/lib/x"}] */
export function pathSteps(path: string): { name: string; path: string }[] {
  const parts = path.split('/').filter(Boolean)
  return parts.map((name, i) => ({ name, path: parts.slice(0, i + 1).join('/') }))
}

/** A directory's bytes below it: `bytes` in the merged view, `size` in a layer's. */
export const directoryBytes = (e: FileEntry) => e.bytes ?? e.size

/** Only regular files have bytes to download (not directories, links, devices or whiteout markers). */
export const downloadable = (e: FileEntry) => e.type === 'file'
