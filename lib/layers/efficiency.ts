// An image's efficiency as dive (github.com/wagoodman/dive, filetree/efficiency.go and image.Analyze)
// computes it, fed one layer at a time from the layer indexes, bottom layer first:
// - each layer is a tree of its entries plus every ancestor directory (implicit ones have size 0 and are
//   no directory to dive); an opaque marker adds only its parent; only leaves are "visited";
// - a visit of a path adds its size to the path's cumulative size and keeps the smallest size seen;
//   a whiteout's size is 0, or the sum of every size below the target when the target was an explicit
//   directory in dive's stacked tree of the lower layers (whiteouts remove, later payloads replace,
//   opaque markers are ignored); a path visited twice or more is an inefficiency;
// - efficiency = sum(smallest) / sum(cumulative); wastedBytes = sum of the inefficiencies' cumulative
//   sizes; sizeBytes = sum of every entry's size; userSizeBytes the same without the first layer.
// One deviation: a whiteout of a path no lower layer has stops dive's walk of that layer (an error it
// logs); here it counts 0 and the walk goes on.
import { whiteoutTarget } from './entry-names'
import { yieldToEventLoop } from '../registry/bulk-sql'

export type Inefficiency = { path: string; count: number; wastedBytes: number; layers: number[] }

export type EfficiencyResult = {
  efficiency: number
  wastedBytes: number
  /** wastedBytes / userSizeBytes; null when the layers above the first hold no bytes */
  userWastedPercent: number | null
  sizeBytes: number
  userSizeBytes: number
  /** by wastedBytes, largest first, at most MAX_INEFFICIENCIES */
  inefficiencies: Inefficiency[]
  inefficiencyCount: number
}

export const MAX_INEFFICIENCIES = 500
/** loop steps between yields to the event loop in the per-layer passes */
const STEP = 5_000
/** a node of the current layer without an entry of its own (dive: FileInfo{}) */
const IMPLICIT = -1

export class DiveEfficiency {
  /** every path met so far → its id; the arrays below are indexed by id */
  private ids = new Map<string, number>()
  private paths: string[] = []
  // dive's efficiencyMap
  private cumulative: number[] = []
  private smallest: number[] = []
  private visits: number[] = []
  private firstLayer: number[] = []
  private layersOf = new Map<number, number[]>()
  // dive's stacked tree of the layers below the current one
  private present: number[] = []
  private stackedSize: number[] = []
  private stackedDir: number[] = []
  // the current layer: node id → size * 2 + isDir (IMPLICIT for a node known only from paths below it)
  private layer = 0
  private nodes = new Map<number, number>()
  private parents = new Set<number>()
  private whiteouts: number[] = []
  private layerSize = 0
  private layerSizes: number[] = []

  private id(path: string): number {
    let id = this.ids.get(path)
    if (id === undefined) {
      id = this.paths.length
      // a copy: the path may be a slice of a large chunk of index text, which it would keep alive
      const own = Buffer.from(path, 'utf8').toString('utf8')
      this.ids.set(own, id)
      this.paths.push(own)
      this.cumulative.push(0)
      this.smallest.push(-1)
      this.visits.push(0)
      this.firstLayer.push(-1)
      this.present.push(0)
      this.stackedSize.push(0)
      this.stackedDir.push(0)
    }
    return id
  }

  /** the parent directory of the previous entry: its ancestors are registered already (tar order groups siblings) */
  private lastParent: string | null = null

  /** The ancestors of `path` are nodes of this layer with a child. */
  private ancestors(path: string) {
    const parent = path.slice(0, Math.max(0, path.lastIndexOf('/')))
    if (parent === this.lastParent) return
    this.lastParent = parent
    for (let slash = path.indexOf('/'); slash !== -1; slash = path.indexOf('/', slash + 1)) {
      const id = this.id(path.slice(0, slash))
      this.parents.add(id)
      if (!this.nodes.has(id)) this.nodes.set(id, IMPLICIT)
    }
  }

  /** One index entry of the current layer (path, type, size as the layer index has them). */
  entry(path: string, type: string, size: number) {
    if (path === '') return // "./": dive skips "."
    this.layerSize += size
    if (type === 'opaque') {
      const slash = path.lastIndexOf('/')
      if (slash === -1) return
      const parent = path.slice(0, slash)
      this.ancestors(parent)
      const id = this.id(parent)
      if (!this.nodes.has(id)) this.nodes.set(id, IMPLICIT)
      return
    }
    this.ancestors(path)
    if (type === 'whiteout') {
      const target = whiteoutTarget(path)
      if (target !== null) this.whiteouts.push(this.id(target))
      return
    }
    this.nodes.set(this.id(path), size * 2 + (type === 'dir' ? 1 : 0)) // a later duplicate replaces the payload
  }

  private visit(id: number, size: number) {
    this.cumulative[id] += size
    if (this.smallest[id] < 0 || size < this.smallest[id]) this.smallest[id] = size
    const n = ++this.visits[id]
    if (n === 1) this.firstLayer[id] = this.layer
    else if (n === 2) this.layersOf.set(id, [this.firstLayer[id], this.layer])
    else this.layersOf.get(id)!.push(this.layer)
  }

  /** The current layer is complete: visits its leaves, then stacks it onto the lower layers. */
  async endLayer(): Promise<void> {
    let steps = 0
    const tick = async () => {
      if (++steps % STEP === 0) await yieldToEventLoop()
    }
    for (const [id, payload] of this.nodes) {
      if (!this.parents.has(id)) this.visit(id, payload === IMPLICIT ? 0 : Math.floor(payload / 2))
      await tick()
    }
    const removed = new Set<number>()
    const sizes = new Map<number, number>()
    for (const id of this.whiteouts) {
      if (!this.present[id]) continue
      removed.add(id)
      if (this.stackedDir[id]) sizes.set(id, 0)
    }
    if (removed.size) {
      // one walk of the stacked tree for all the layer's whiteouts: sizes below removed directories, then removal
      for (let id = 0; id < this.paths.length; id++) {
        await tick()
        if (!this.present[id]) continue
        const path = this.paths[id]
        for (let end = path.length; end > 0; end = path.lastIndexOf('/', end - 1)) {
          const a = end === path.length ? id : this.ids.get(path.slice(0, end))
          if (a === undefined || !removed.has(a)) continue
          if (sizes.has(a)) sizes.set(a, sizes.get(a)! + this.stackedSize[id])
          this.present[id] = 0
        }
      }
    }
    for (const id of this.whiteouts) this.visit(id, sizes.get(id) ?? 0)
    for (const [id, payload] of this.nodes) {
      this.present[id] = 1
      this.stackedSize[id] = payload === IMPLICIT ? 0 : Math.floor(payload / 2)
      this.stackedDir[id] = payload !== IMPLICIT && payload % 2 === 1 ? 1 : 0
      await tick()
    }
    this.layerSizes.push(this.layerSize)
    this.layer++
    this.layerSize = 0
    this.nodes = new Map()
    this.parents = new Set()
    this.lastParent = null
    this.whiteouts = []
  }

  result(): EfficiencyResult {
    let smallest = 0
    let cumulative = 0
    for (let id = 0; id < this.paths.length; id++) {
      if (!this.visits[id]) continue
      smallest += this.smallest[id]
      cumulative += this.cumulative[id]
    }
    const wasteful = [...this.layersOf.keys()]
    let wastedBytes = 0
    for (const id of wasteful) wastedBytes += this.cumulative[id]
    wasteful.sort((a, b) => this.cumulative[b] - this.cumulative[a] || (this.paths[a] < this.paths[b] ? -1 : 1))
    const sizeBytes = this.layerSizes.reduce((n, s) => n + s, 0)
    const userSizeBytes = sizeBytes - (this.layerSizes[0] ?? 0)
    return {
      efficiency: cumulative === 0 ? 1 : smallest / cumulative,
      wastedBytes,
      userWastedPercent: userSizeBytes === 0 ? null : wastedBytes / userSizeBytes,
      sizeBytes,
      userSizeBytes,
      inefficiencies: wasteful.slice(0, MAX_INEFFICIENCIES).map((id) => ({ path: this.paths[id], count: this.visits[id], wastedBytes: this.cumulative[id], layers: this.layersOf.get(id)! })),
      inefficiencyCount: wasteful.length,
    }
  }
}
