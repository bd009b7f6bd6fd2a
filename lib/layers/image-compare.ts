// Two images' merged trees compared: files added, removed and changed (type, size, mode, owner, mtime or
// link target differ), sorted by the size change, and the directories whose bytes changed most. The
// older tree is held as one short signature per path (not its entries), the newer one is streamed past
// it; what is left of the older tree was removed. Directories themselves are not compared (their
// metadata changes with any build): only what is in them.
import type { Services } from '../services'
import type { IndexEntry } from './index-entry'
import { indexTextRuns } from './merged-tree'

export type Change = { path: string; change: 'added' | 'removed' | 'changed'; fromSize: number | null; toSize: number | null; delta: number; fromMode?: number; toMode?: number }

export type CompareQuery = { page: number; pageSize: number }

const BIGGEST_DIRECTORIES = 10

/** type, size, mode, owner, mtime, link: what makes two entries of a path the same file */
const signature = (e: IndexEntry) => `${e.s}|${e.m}|${e.t}|${e.u}|${e.g}|${e.mt}|${e.l ?? ''}`
const sizeOf = (sig: string) => Number(sig.slice(0, sig.indexOf('|')))
const modeOf = (sig: string) => Number(sig.split('|', 2)[1])

async function eachEntry(services: Services, key: string, visit: (e: IndexEntry) => void) {
  for await (const text of indexTextRuns(services, key)) {
    let start = 0
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const e = JSON.parse(text.slice(start, nl)) as IndexEntry
      start = nl + 1
      if (e.t !== 'dir') visit(e)
    }
  }
}

export async function compareTrees(services: Services, fromKey: string, toKey: string, q: CompareQuery) {
  const older = new Map<string, string>()
  await eachEntry(services, fromKey, (e) => older.set(e.p, signature(e)))
  const changes: Change[] = []
  await eachEntry(services, toKey, (e) => {
    const was = older.get(e.p)
    if (was === undefined) {
      changes.push({ path: e.p, change: 'added', fromSize: null, toSize: e.s, delta: e.s, toMode: e.m })
      return
    }
    older.delete(e.p)
    const sig = signature(e)
    if (sig === was) return
    const fromSize = sizeOf(was)
    changes.push({ path: e.p, change: 'changed', fromSize, toSize: e.s, delta: e.s - fromSize, fromMode: modeOf(was), toMode: e.m })
  })
  for (const [path, was] of older) changes.push({ path, change: 'removed', fromSize: sizeOf(was), toSize: null, delta: -sizeOf(was), fromMode: modeOf(was) })
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
