// The merged filesystem of an image: its layer indexes applied in order, as a container runtime extracts
// them. Layers are read top (last) first, so an entry is kept the moment it is met or never: a path an
// upper layer has (overwrite), a path or directory an upper whiteout removed (`.wh.x`), anything below
// an upper opaque directory (`.wh..wh..opq`) or below an upper non-directory is hidden. Memory holds the
// kept paths (to know what upper layers have), never the entries: each kept line goes straight into a
// gzip index object of the same line format plus `"y":<layer position>`, so directory-listing.ts
// reads it like a layer index. Each index chunk is handled between awaits (index-reader.ts).
import zlib from 'node:zlib'
import type { Services } from '../services'
import { PassThrough } from 'node:stream'
import { lineHead, indexTextRuns } from './index-reader'
import { whiteoutTarget } from './entry-names'
import { recordedMultipart } from '../lifecycle/multipart-records'

export type MergeLayer = { position: number; objectKey: string | null /* null: no index (not a tar): an empty layer */ }

export type MergeOutcome = { entryCount: number; fileCount: number; fileBytes: number; indexBytes: number }

const NON_DIR = 1

/** Which entries of each layer the merged tree keeps; fed top layer first (a pure state machine). */
export class MergedTree {
  /** kept path → position * 2 + NON_DIR bit */
  private kept = new Map<string, number>()
  private removed = new Set<string>()
  private opaque = new Set<string>()
  private rootOpaque = false
  private layer = -1
  private nextRemoved: string[] = []
  private nextOpaque: string[] = []
  private nextRootOpaque = false

  /** the parent of the previous entry and whether upper layers hide what is below it: stable within a layer */
  private lastParent: string | null = null
  private lastParentHidden = false

  beginLayer(position: number) {
    this.layer = position
    this.lastParent = null
  }

  /** The merged line for this index line of the current layer, or null when it is hidden (or a marker). */
  line(line: string): string | null {
    const { p, t } = lineHead(line)
    if (p === '') return null // the root itself
    if (t === 'whiteout') {
      const target = whiteoutTarget(p)
      if (target !== null) this.nextRemoved.push(target)
      return null
    }
    if (t === 'opaque') {
      const slash = p.lastIndexOf('/')
      if (slash === -1) this.nextRootOpaque = true
      else this.nextOpaque.push(p.slice(0, slash))
      return null
    }
    if (this.hidden(p)) return null
    // a copy: `p` may be a slice of a whole chunk of index text, which the map would keep alive
    this.kept.set(Buffer.from(p, 'utf8').toString('utf8'), this.layer * 2 + (t === 'dir' ? 0 : NON_DIR))
    return line.slice(0, line.lastIndexOf('}')) + ',"y":' + this.layer + '}'
  }

  private upper(v: number | undefined) {
    return v !== undefined && v >> 1 !== this.layer
  }

  private hidden(p: string): boolean {
    if (this.rootOpaque) return true
    // a same-layer duplicate is kept: the later line wins when read back, as extraction does
    if (this.upper(this.kept.get(p)) || this.removed.has(p)) return true
    const parent = p.slice(0, Math.max(0, p.lastIndexOf('/')))
    if (parent !== this.lastParent) {
      this.lastParent = parent
      this.lastParentHidden = this.hiddenBelow(parent)
    }
    return this.lastParentHidden
  }

  /** Whether upper layers hide everything below `dir` (its own path included in the check). */
  private hiddenBelow(dir: string): boolean {
    if (dir === '') return false
    for (let end = dir.indexOf('/'); ; end = dir.indexOf('/', end + 1)) {
      const a = end === -1 ? dir : dir.slice(0, end)
      if (this.removed.has(a) || this.opaque.has(a)) return true
      const k = this.kept.get(a)
      if (this.upper(k) && k! & NON_DIR) return true
      if (end === -1) return false
    }
  }

  /** A layer's whiteouts and opaque markers apply to the layers below it only. */
  endLayer() {
    for (const r of this.nextRemoved) this.removed.add(r)
    for (const o of this.nextOpaque) this.opaque.add(o)
    this.rootOpaque ||= this.nextRootOpaque
    this.nextRemoved = []
    this.nextOpaque = []
  }
}

/** Writes the merged index of `layers` (bottom first, as the manifest lists them) to `key`. */
export async function writeMergedIndex(services: Services, layers: MergeLayer[], key: string, owner: string): Promise<MergeOutcome> {
  const gzip = zlib.createGzip({ level: 6, chunkSize: 64 * 1024 })
  let indexBytes = 0
  const out = new PassThrough()
  gzip.on('data', (c: Buffer) => (indexBytes += c.length))
  gzip.pipe(out)
  const stored = services.store.write(key, out, recordedMultipart(services, key, owner))
  stored.catch(() => gzip.destroy()) // a failed write: the next gzip.write sees a destroyed stream
  const tree = new MergedTree()
  const counts = { entryCount: 0, fileCount: 0, fileBytes: 0 }
  try {
    for (let i = layers.length - 1; i >= 0; i--) {
      const layer = layers[i]
      tree.beginLayer(layer.position)
      if (layer.objectKey) {
        for await (const text of mergeTextRuns(services, layer.objectKey)) {
          let batch = ''
          let start = 0
          for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
            const kept = tree.line(text.slice(start, nl))
            start = nl + 1
            if (kept === null) continue
            batch += kept + '\n'
            counts.entryCount++
            const head = lineHead(kept)
            if (head.t === 'file') {
              counts.fileCount++
              counts.fileBytes += head.s
            }
          }
          if (gzip.destroyed) throw new Error('the merged index could not be stored')
          if (batch && !gzip.write(batch)) await drained(gzip)
        }
      }
      tree.endLayer()
    }
    gzip.end()
    await stored
  } catch (e) {
    gzip.destroy()
    await stored.catch(() => {})
    await services.store.delete([key]).catch(() => {})
    throw e
  }
  return { ...counts, indexBytes }
}

/** The text of a layer index in runs of 64 KiB (some 400 lines) per synchronous step: the merge does more per line than a listing. */
export const mergeTextRuns = (services: Services, objectKey: string) => indexTextRuns(services, objectKey, 64 * 1024)

function drained(stream: zlib.Gzip) {
  return new Promise<void>((resolve) => {
    const done = () => {
      stream.off('drain', done)
      stream.off('close', done)
      resolve()
    }
    stream.once('drain', done)
    stream.once('close', done)
  })
}
