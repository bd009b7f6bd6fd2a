// The GcRun rows as the console API shows them (GET /api/gc/runs, GET /api/storage's lastRun).
import type { Db } from '../db/client'
import type { GcRepositoryResult } from './run-gc'
import { totalsOfRecord, type GcTotals } from './gc-tally'

export type GcRunView = GcTotals & {
  id: number
  dryRun: boolean
  trigger: string
  actor: string | null
  state: string
  startedAt: string
  finishedAt: string | null
  repositories: GcRepositoryResult[]
  errors: string[]
}

export const DEFAULT_RUNS = 20
export const MAX_RUNS = 200

type GcRunRow = Awaited<ReturnType<Db['gcRun']['findFirstOrThrow']>>

/** The result JSON written by run-record.ts; a row of a run that never finished has none. */
function parseResult(text: string | null): { repositories: GcRepositoryResult[]; errors: string[] } {
  if (!text) return { repositories: [], errors: [] }
  try {
    const r = JSON.parse(text)
    return { repositories: Array.isArray(r?.repositories) ? r.repositories : [], errors: Array.isArray(r?.errors) ? r.errors.map(String) : [] }
  } catch {
    return { repositories: [], errors: ['the recorded result is unreadable'] }
  }
}

export function gcRunView(row: GcRunRow): GcRunView {
  const { repositories, errors } = parseResult(row.result)
  return {
    id: row.id,
    dryRun: row.dryRun,
    trigger: row.trigger,
    actor: row.actor,
    state: row.state,
    startedAt: row.startedAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
    ...totalsOfRecord(row),
    repositories,
    errors: row.error && !errors.includes(row.error) ? [row.error, ...errors] : errors,
  }
}

/** Newest first. */
export async function listGcRuns(db: Db, opts: { limit?: number } = {}): Promise<GcRunView[]> {
  const take = Math.min(Math.max(1, Math.floor(opts.limit ?? DEFAULT_RUNS)), MAX_RUNS)
  const rows = await db.gcRun.findMany({ orderBy: { id: 'desc' }, take })
  return rows.map(gcRunView)
}

export async function lastGcRun(db: Db): Promise<GcRunView | null> {
  const row = await db.gcRun.findFirst({ orderBy: { id: 'desc' } })
  return row ? gcRunView(row) : null
}
