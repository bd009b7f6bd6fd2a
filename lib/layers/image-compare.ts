// Two images' merged trees compared: files added, removed and changed (type, size, mode, owner, mtime or
// link target differ), sorted by the size change, and the directories whose bytes changed most. The
// older tree is held as one short signature per path (not its entries), the newer one is streamed past
// it; what is left of the older tree was removed. Directories themselves are not compared (their
// metadata changes with any build): only what is in them.
import type { Services } from '../services'
import { lineHead } from './index-reader'
import { mergeTextRuns } from './merged-tree'

export type Change = { path: string; change: 'added' | 'removed' | 'changed'; fromSize: number | null; toSize: number | null; delta: number; fromMode?: number; toMode?: number }

export type CompareQuery = { page: number; pageSize: number }

const BIGGEST_DIRECTORIES = 10

/** a string's own copy: a slice of a whole chunk of index text would keep the chunk alive in the map */
const own = (s: string) => Buffer.from(s, 'utf8').toString('utf8')

/**
 * An index line without its path, data offset and layer: type, size, mode, owner, mtime, link, what
 * makes two entries of a path the same file. Raw text, no JSON.parse (200,000 lines per side).
 */
const signature = (line: string) => line.slice(line.indexOf('","t":') + 2).replace(OFFSET_OR_LAYER, '')
const OFFSET_OR_LAYER = /,"[oy]":\d+/g
const FIELDS = { s: /"s":(\d+)/, m: /"m":(\d+)/ }
const field = (sig: string, name: 's' | 'm') => Number(FIELDS[name].exec(sig)?.[1] ?? 0)

async function eachEntry(services: Services, key: string, visit: (path: string, size: number, sig: string) => void) {
  for await (const text of mergeTextRuns(services, key)) {
    let start = 0
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const line = text.slice(start, nl)
      start = nl + 1
      const { p, t, s } = lineHead(line)
      if (t !== 'dir') visit(p, s, signature(line))
    }
  }
}

export async function compareTrees(services: Services, fromKey: string, toKey: string, q: CompareQuery) {
  const older = new Map<string, string>()
  await eachEntry(services, fromKey, (path, _size, sig) => older.set(own(path), own(sig)))
  const changes: Change[] = []
  await eachEntry(services, toKey, (path, size, sig) => {
    const was = older.get(path)
    const mode = () => field(sig, 'm')
    if (was === undefined) {
      changes.push({ path: own(path), change: 'added', fromSize: null, toSize: size, delta: size, toMode: mode() })
      return
    }
    older.delete(path)
    if (sig === was) return
    const fromSize = field(was, 's')
    changes.push({ path: own(path), change: 'changed', fromSize, toSize: size, delta: size - fromSize, fromMode: field(was, 'm'), toMode: mode() })
  })
  for (const [path, was] of older) changes.push({ path, change: 'removed', fromSize: field(was, 's'), toSize: null, delta: -field(was, 's'), fromMode: field(was, 'm') })
  const counts = { added: 0, removed: 0, changed: 0, total: changes.length }
  const dirs = new Map<string, number>()
  for (const c of changes) {
    counts[c.change]++
    for (let slash = c.path.indexOf('/'); slash !== -1; slash = c.path.indexOf('/', slash + 1)) {
      const dir = c.path.slice(0, slash)
      dirs.set(dir, (dirs.get(dir) ?? 0) + c.delta)
    }
  }
  changes.sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  const biggestDirectories = [...dirs]
    .filter(([, delta]) => delta !== 0)
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]) || (a[0] < b[0] ? -1 : 1))
    .slice(0, BIGGEST_DIRECTORIES)
    .map(([path, delta]) => ({ path, delta }))
  const start = (q.page - 1) * q.pageSize
  return { files: counts, changes: changes.slice(start, start + q.pageSize), page: q.page, pageSize: q.pageSize, biggestDirectories }
}
