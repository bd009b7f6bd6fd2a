// Picks the job queue for the database: pg-boss on PostgreSQL (several instances share it), the
// in-process queue on SQLite (one process owns the file).
import type { Db } from '../db/client'
import { providerOf } from '../db/provider'
import type { JobQueue } from './job-queue'
import { openLocalQueue, type LocalQueueOptions } from './local-queue'
import { openPgBossQueue, type PgBossQueueOptions } from './pg-boss-queue'

export type QueueOptions = { local?: LocalQueueOptions; pgBoss?: PgBossQueueOptions; log?: (m: string) => void }

export function openJobQueue(databaseUrl: string, db: Db, opts: QueueOptions = {}): JobQueue {
  if (providerOf(databaseUrl) === 'postgresql') return openPgBossQueue(databaseUrl, { log: opts.log, ...opts.pgBoss })
  return openLocalQueue(db, { log: opts.log, ...opts.local })
}
