// Entry point of garbage collection (implemented in lib/gc/*; see /work/notes/DESIGN-11.md while building).
import type { Services } from '../services'

/** The steps of one run, in order; tests kill the process at each (crash safety). */
export const GC_STEPS = ['tombstones', 'manifests', 'links', 'blobs', 'objects', 'orphans', 'repositories', 'finish'] as const
export type GcStep = (typeof GC_STEPS)[number]

export type GcRepositoryResult = { repository: string; manifests: number; links: number; blobs: number; bytes: number }

/** What POST /api/gc answers and GcRun records. A dry run counts what a real run would free. */
export type GcResult = {
  runId: number
  dryRun: boolean
  trigger: 'schedule' | 'manual'
  startedAt: string
  finishedAt: string
  state: 'done' | 'failed'
  manifestsDeleted: number
  linksDeleted: number
  blobsDeleted: number
  objectsDeleted: number
  /** bytes of the deleted (dry run: deletable) objects */
  bytesFreed: number
  repositories: GcRepositoryResult[]
  errors: string[]
}

export type GcOptions = {
  dryRun: boolean
  trigger: 'schedule' | 'manual'
  actor?: string | null
  /** called before each step (tests: crash injection) */
  onStep?: (step: GcStep) => void | Promise<void>
}

/** Thrown when another instance's run holds the GC lease. */
export class GcBusyError extends Error {
  constructor(public runningId: number | null) {
    super('a garbage collection is running already' + (runningId ? ` (run ${runningId})` : ''))
  }
}

export async function runGc(_services: Services, _opts: GcOptions): Promise<GcResult> {
  throw new Error('garbage collection: not built yet')
}
