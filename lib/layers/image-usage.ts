// "Where the bytes are" in an image's merged tree: the largest files, the directories holding the most
// bytes (everything below them), in one scan of the merged index. Memory: the top lists and one total
// per directory (a 200,000-file image has some thousands of directories), never the entries.
import type { Services } from '../services'
import { lineHead } from './index-reader'
import { mergeTextRuns } from './merged-tree'

export const USAGE_TOP = 50

export type UsageFile = { path: string; size: number; layer: number }
export type UsageDirectory = { path: string; bytes: number; files: number }

/** The layer position a merged index line ends with (`,"y":N}`). */
export function lineLayer(line: string): number {
  const at = line.lastIndexOf('"y":')
  return at === -1 ? -1 : parseInt(line.slice(at + 4), 10)
}

/** Keeps the `n` largest items of a stream (ascending array; a new item enters only when larger than the smallest). */
class TopN<T> {
  private items: T[] = []
  constructor(
    private readonly n: number,
    private readonly size: (t: T) => number,
  ) {}
  add(item: T) {
    const s = this.size(item)
    if (this.items.length >= this.n && s <= this.size(this.items[0])) return
    let i = this.items.findIndex((x) => this.size(x) >= s)
    if (i === -1) i = this.items.length
    this.items.splice(i, 0, item)
    if (this.items.length > this.n) this.items.shift()
  }
  /** largest first; equal sizes by path (which of several equal items made the cut is arbitrary) */
  largestFirst(path: (t: T) => string): T[] {
    return [...this.items].sort((a, b) => this.size(b) - this.size(a) || (path(a) < path(b) ? -1 : 1))
  }
}

export async function imageUsage(services: Services, mergedKey: string) {
  const files = new TopN<UsageFile>(USAGE_TOP, (f) => f.size)
  const dirs = new Map<string, { bytes: number; files: number }>()
  for await (const text of mergeTextRuns(services, mergedKey)) {
    let start = 0
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const line = text.slice(start, nl)
      start = nl + 1
      const { p, t, s } = lineHead(line)
      if (t !== 'file') continue
      files.add({ path: p, size: s, layer: lineLayer(line) })
      for (let slash = p.indexOf('/'); slash !== -1; slash = p.indexOf('/', slash + 1)) {
        const dir = p.slice(0, slash)
        let d = dirs.get(dir)
        // a copy of the key: `dir` is a slice of a whole chunk of index text
        if (!d) dirs.set(Buffer.from(dir, 'utf8').toString('utf8'), (d = { bytes: 0, files: 0 }))
        d.bytes += s
        d.files++
      }
    }
  }
  const topDirs = new TopN<UsageDirectory>(USAGE_TOP, (d) => d.bytes)
  for (const [path, d] of dirs) topDirs.add({ path, ...d })
  return { largestFiles: files.largestFirst((f) => f.path), largestDirectories: topDirs.largestFirst((d) => d.path) }
}
