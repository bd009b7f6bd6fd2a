// Garbage collection: deletes the manifests, repository links, blobs and bucket objects nothing live
// needs, online (while pushes and pulls go on), one run at a time across instances (the "gc" lease).
// The rules are in candidates.ts/gc-sql.ts (what is dead) and delete-rows.ts (the re-check under lock);
// the steps in steps.ts. A dry run reads the same candidates and deletes nothing.
import type { Services } from '../services'
import { withLease, type HeldLease } from '../db/leases'
import { lifecycleOf } from '../lifecycle/settings'
import { GcTally, type GcTotals } from './gc-tally'
import type { GcContext } from './gc-context'
import { finishRunRecord, startRunRecord } from './run-record'
import { STEP_WORK } from './steps'

/** The steps of one run, in order; tests kill the process at each (crash safety). */
export const GC_STEPS = ['tombstones', 'manifests', 'links', 'blobs', 'objects', 'orphans', 'repositories', 'finish'] as const
export type GcStep = (typeof GC_STEPS)[number]

/** blobs/bytes: the blobs freed because this repository let go of them; repositoryRemoved: its row went (empty). */
export type GcRepositoryResult = { repository: string; manifests: number; links: number; blobs: number; bytes: number; repositoryRemoved?: boolean }

/** What POST /api/gc answers and GcRun records. A dry run counts what a real run would free. */
export type GcResult = GcTotals & {
  runId: number
  dryRun: boolean
  trigger: 'schedule' | 'manual'
  startedAt: string
  finishedAt: string
  state: 'done' | 'failed'
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

/** The lease that makes one run at a time across instances; a holder that dies loses it after the TTL. */
export const GC_LEASE = 'gc'
export const GC_LEASE_TTL_MS = 30_000
/** How often a working run re-asserts its lease between batches (besides withLease's timer). */
const LEADER_CHECK_MS = 2_000

export async function runGc(services: Services, opts: GcOptions): Promise<GcResult> {
  const held = await withLease(services.db, GC_LEASE, GC_LEASE_TTL_MS, (lease) => runHoldingLease(services, opts, lease))
  if (!held) {
    const running = await services.db.gcRun.findFirst({ where: { state: 'running' }, orderBy: { id: 'desc' }, select: { id: true } })
    throw new GcBusyError(running?.id ?? null)
  }
  services.ops?.metrics.gcRunFinished(held.value)
  return held.value
}

class LeaseLostError extends Error {
  constructor() {
    super('the gc lease was lost (this instance stalled longer than its lease); the run stopped')
  }
}

async function runHoldingLease(services: Services, opts: GcOptions, lease: HeldLease): Promise<GcResult> {
  const { db } = services
  const record = await startRunRecord(db, { dryRun: opts.dryRun, trigger: opts.trigger, actor: opts.actor ?? null })
  const tally = new GcTally()
  let lastCheck = Date.now()
  const ctx: GcContext = {
    services,
    dryRun: opts.dryRun,
    cutoff: new Date(record.startedAt.getTime() - lifecycleOf(services).gcGraceSeconds * 1000),
    tally,
    batchRows: lifecycleOf(services).gcBatchRows,
    async stillLeader() {
      if (Date.now() - lastCheck < LEADER_CHECK_MS) return
      if (!(await lease.renew())) throw new LeaseLostError()
      lastCheck = Date.now()
    },
  }
  let failed = false
  try {
    for (const step of GC_STEPS) {
      await opts.onStep?.(step)
      if (step === 'finish') break
      // a failed step is recorded and the next one still runs: each is safe on its own (the objects
      // step finishes the tombstones of the blobs step even if that one stopped half way)
      try {
        await STEP_WORK[step](ctx)
      } catch (e) {
        failed = true
        tally.error(step, e)
        if (e instanceof LeaseLostError) break
      }
    }
  } catch (e) {
    // onStep threw: record the run as failed, then let the caller see why
    tally.error('run', e)
    await finishRunRecord(db, record.id, 'failed', tally).catch(() => {})
    throw e
  }
  const state = failed ? 'failed' : 'done'
  const finished = await finishRunRecord(db, record.id, state, tally)
  return {
    runId: record.id,
    dryRun: opts.dryRun,
    trigger: opts.trigger,
    startedAt: record.startedAt.toISOString(),
    finishedAt: (finished.finishedAt ?? new Date()).toISOString(),
    state,
    ...tally.totals(),
    repositories: tally.repositories(),
    errors: tally.errors,
  }
}
