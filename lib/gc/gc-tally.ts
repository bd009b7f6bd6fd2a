// What one run deleted (or, dry, would delete): totals, per repository, and the errors it met.
import type { GcRepositoryResult } from './run-gc'

/** The counts a run reports, records (GcRun) and shows (GET /api/gc/runs), under one set of names. */
export type GcTotals = {
  manifestsDeleted: number
  linksDeleted: number
  blobsDeleted: number
  objectsDeleted: number
  /** bytes of the deleted (dry run: deletable) objects */
  bytesFreed: number
}

/** The totals of a recorded run (bytesFreed is a BigInt column). */
export const totalsOfRecord = (row: Omit<GcTotals, 'bytesFreed'> & { bytesFreed: bigint | number }): GcTotals => ({
  manifestsDeleted: row.manifestsDeleted,
  linksDeleted: row.linksDeleted,
  blobsDeleted: row.blobsDeleted,
  objectsDeleted: row.objectsDeleted,
  bytesFreed: Number(row.bytesFreed),
})

const MAX_ERRORS = 50
/** Links deleted this run remembered for the per-repository blob figures; beyond this, blobs count in the totals only. */
const MAX_REMEMBERED_LINKS = 200_000

export class GcTally {
  manifests = 0
  links = 0
  blobs = 0
  objects = 0
  bytes = 0
  readonly errors: string[] = []
  private readonly byRepository = new Map<string, GcRepositoryResult>()
  private readonly linkRepository = new Map<string, string>()

  private repo(name: string): GcRepositoryResult {
    let r = this.byRepository.get(name)
    if (!r) this.byRepository.set(name, (r = { repository: name, manifests: 0, links: 0, blobs: 0, bytes: 0 }))
    return r
  }

  manifest(repository: string) {
    this.manifests++
    this.repo(repository).manifests++
  }

  link(repository: string, digest: string) {
    this.links++
    this.repo(repository).links++
    // the first one: links go in repository id order, and the dry run's query picks the lowest id too
    if (!this.linkRepository.has(digest) && this.linkRepository.size < MAX_REMEMBERED_LINKS) this.linkRepository.set(digest, repository)
  }

  /** A blob whose bytes go: counted for the repository that still links it (dry run) or whose link this run removed. */
  blob(digest: string, size: number, linkedIn: string | null) {
    this.blobs++
    const repository = linkedIn ?? this.linkRepository.get(digest)
    if (repository) {
      const r = this.repo(repository)
      r.blobs++
      r.bytes += size
    }
  }

  object(size: number) {
    this.objects++
    this.bytes += size
  }

  repositoryRemoved(name: string) {
    this.repo(name).repositoryRemoved = true
  }

  error(step: string, e: unknown) {
    if (this.errors.length < MAX_ERRORS) this.errors.push(`${step}: ${e instanceof Error ? e.message : String(e)}`.slice(0, 500))
  }

  totals(): GcTotals {
    return { manifestsDeleted: this.manifests, linksDeleted: this.links, blobsDeleted: this.blobs, objectsDeleted: this.objects, bytesFreed: this.bytes }
  }

  repositories(): GcRepositoryResult[] {
    return [...this.byRepository.values()].sort((a, b) => (a.repository < b.repository ? -1 : a.repository > b.repository ? 1 : 0))
  }
}
