// GcRun rows: written "running" when a run starts, completed when it ends. A row left "running" by an
// instance that died is marked failed by the next run (which holds the lease, so nothing else runs).
import type { Db } from '../db/client'
import type { GcTally } from './gc-tally'

export async function startRunRecord(db: Db, o: { dryRun: boolean; trigger: string; actor: string | null }) {
  await db.gcRun.updateMany({
    where: { state: 'running' },
    data: { state: 'failed', finishedAt: new Date(), error: 'interrupted: the instance running it stopped before it finished' },
  })
  return db.gcRun.create({ data: { dryRun: o.dryRun, trigger: o.trigger, actor: o.actor, state: 'running' }, select: { id: true, startedAt: true } })
}

export async function finishRunRecord(db: Db, id: number, state: 'done' | 'failed', tally: GcTally) {
  return db.gcRun.update({
    where: { id },
    data: {
      state,
      finishedAt: new Date(),
      ...tally.totals(),
      bytesFreed: BigInt(tally.bytes),
      result: JSON.stringify({ repositories: tally.repositories(), errors: tally.errors }),
      error: state === 'failed' ? (tally.errors[0] ?? 'failed') : null,
    },
    select: { finishedAt: true },
  })
}
