// One directory level of a layer's index, paged, with per-directory totals (files and bytes below each
// subdirectory), sorted by name or size; or a path search over the whole index. The index object is in
// tar order, so each request scans it once and keeps only the directory's children (a search keeps only
// its page): memory follows the size of one directory, not of the layer.
import type { Services } from '../services'
import { scanIndex, scanIndexText, linePrefix, lineHead } from './index-reader'
import { normalizePath } from './entry-names'
import { publicEntry, type IndexEntry } from './index-entry'

export const DEFAULT_PAGE_SIZE = 200
export const MAX_PAGE_SIZE = 1000

export type ListingQuery = { path: string; page: number; pageSize: number; sort: 'name' | 'size' }

type Child = { name: string; entry: IndexEntry | null; files: number; bytes: number; duplicates: number; below: boolean }

export class ListingError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

export async function listDirectory(services: Services, indexKey: string, q: ListingQuery) {
  const dir = normalizePath(q.path).path
  const below = dir === '' ? '' : linePrefix(dir + '/')
  const exact = dir === '' ? null : linePrefix(dir) + '",'
  const cut = dir === '' ? 0 : dir.length + 1
  const children = new Map<string, Child>()
  let self: IndexEntry | null = null
  let files = 0
  let bytes = 0
  const child = (name: string) => {
    let c = children.get(name)
    if (!c) children.set(name, (c = { name, entry: null, files: 0, bytes: 0, duplicates: 0, below: false }))
    return c
  }
  await scanIndex(services, indexKey, (line) => {
    if (exact && line.startsWith(exact)) {
      self = JSON.parse(line)
      return
    }
    if (!line.startsWith(below)) return
    const e = lineHead(line)
    if (e.p === '') return // the root itself ("./")
    const rest = e.p.slice(cut)
    const slash = rest.indexOf('/')
    if (e.t === 'file') {
      files++
      bytes += e.s
    }
    if (slash === -1) {
      const c = child(rest)
      if (c.entry) c.duplicates++
      c.entry = JSON.parse(line) as IndexEntry // a later entry of the same path replaces the earlier one, as extraction does
      if (e.t === 'file') {
        c.files = 1
        c.bytes = e.s
      }
      return
    }
    const c = child(rest.slice(0, slash))
    c.below = true
    if (e.t === 'file') {
      c.files++
      c.bytes += e.s
    }
  })
  if (dir !== '' && !children.size) {
    if (!self) throw new ListingError(404, 'PATH_UNKNOWN', `this layer has no directory ${dir}`)
    if ((self as IndexEntry).t !== 'dir') throw new ListingError(400, 'NOT_A_DIRECTORY', `${dir} is a ${(self as IndexEntry).t}, not a directory: download it at files/${dir}`)
  }
  const all = [...children.values()]
  all.sort(q.sort === 'size' ? (a, b) => b.bytes - a.bytes || cmp(a.name, b.name) : (a, b) => cmp(a.name, b.name))
  const start = (q.page - 1) * q.pageSize
  return {
    path: dir,
    totals: { files, bytes },
    total: all.length,
    page: q.page,
    pageSize: q.pageSize,
    entries: all.slice(start, start + q.pageSize).map(childView(dir)),
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

function childView(dir: string) {
  return (c: Child) => {
    const path = dir === '' ? c.name : `${dir}/${c.name}`
    // a path that is both a file and has entries below it (hostile) is shown as what its own entry says
    const base = c.entry ? publicEntry(c.entry) : { path, type: 'dir' as const }
    const isDir = base.type === 'dir' || (!c.entry && c.below)
    return {
      ...base,
      name: c.name,
      ...(isDir ? { size: c.bytes, files: c.files } : {}),
      ...(c.entry ? {} : { implicit: true }), // a directory only known from the paths below it
      ...(c.duplicates ? { duplicates: c.duplicates } : {}),
    }
  }
}

/** Entries whose path contains `text` (case-insensitive), in tar order, one page of them. */
export async function searchIndex(services: Services, indexKey: string, text: string, page: number, pageSize: number) {
  const needle = text.toLowerCase()
  const start = (page - 1) * pageSize
  const found: IndexEntry[] = []
  let total = 0
  await scanIndex(services, indexKey, (line) => {
    // the path is the first field: test it before parsing the line
    const end = line.indexOf('","t":')
    if (end === -1 || !line.slice(6, end).toLowerCase().includes(needle)) return
    const e = JSON.parse(line) as IndexEntry
    if (!e.p.toLowerCase().includes(needle)) return // the match was in the JSON escaping
    if (total >= start && found.length < pageSize) found.push(e)
    total++
  })
  return { query: text, total, page, pageSize, entries: found.map((e) => ({ ...publicEntry(e), name: e.p.slice(e.p.lastIndexOf('/') + 1) })) }
}

/** The last entry at exactly `path` (a later duplicate wins, as extraction does). */
export async function findEntry(services: Services, indexKey: string, path: string): Promise<IndexEntry | null> {
  const head = linePrefix(path) + '",'
  const exact = '\n' + head
  let found: string | null = null
  // one indexOf per run of lines instead of a slice per line: a lookup only wants the rare matching line
  await scanIndexText(services, indexKey, (text) => {
    if (text.startsWith(head)) found = text.slice(0, text.indexOf('\n'))
    for (let at = text.indexOf(exact); at !== -1; at = text.indexOf(exact, at + 1)) found = text.slice(at + 1, text.indexOf('\n', at + 1))
  })
  return found ? (JSON.parse(found) as IndexEntry) : null
}
