// The job queue on PostgreSQL: pg-boss, in its own schema `pgboss` of the same database. pg-boss hands
// each job to one worker across all instances (SELECT … FOR UPDATE SKIP LOCKED), retries failed ones
// with backoff, and its supervisor fails (then retries) a job whose worker died once it expires.
// What its API lacks (counts per state, recent jobs, a job by id alone) is read from its job table.
import PgBoss from 'pg-boss'
import pg from 'pg'
import { JOB_NAMES, type JobHandler, type JobName, type JobPayloads, type JobQueue, type JobView, type SendOptions } from './job-queue'
import { DEFAULT_RETRY_DELAY_SECONDS, DEFAULT_RETRY_LIMIT, addCount, emptyCounts } from './job-defaults'

export const PG_BOSS_SCHEMA = 'pgboss'

/** How long a job may run before pg-boss takes its worker for dead (fails the attempt, retries it). */
export const DEFAULT_EXPIRE_SECONDS: Record<JobName, number> = {
  'blob.measure': 3600, // a large layer, held back while uploads run
  'gc.run': 6 * 3600,
  'retention.run': 3600,
  'expiry.run': 3600,
  'image.analyze': 3600,
}

export type PgBossQueueOptions = {
  /** overrides DEFAULT_EXPIRE_SECONDS for every kind (tests: a dead worker's job comes back quickly) */
  expireInSeconds?: number
  /** how often idle workers ask for jobs (default 1; a send in this process wakes them at once) */
  pollingIntervalSeconds?: number
  /** how often expired jobs are failed and old ones archived (default 60) */
  maintenanceIntervalSeconds?: number
  /** how long stop() waits for running handlers (default 30 s) */
  stopTimeoutMs?: number
  log?: (m: string) => void
}

type Registration = { name: JobName; concurrency: number; handler: JobHandler<JobName>; workerIds: string[] }

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function openPgBossQueue(databaseUrl: string, opts: PgBossQueueOptions = {}): JobQueue {
  const log = opts.log ?? ((m: string) => console.error(m))
  const boss = new PgBoss({
    connectionString: databaseUrl,
    schema: PG_BOSS_SCHEMA,
    application_name: 'stowage-jobs',
    max: 4,
    schedule: false, // periodic work is sent by lib/jobs/schedule.ts
    supervise: true,
    maintenanceIntervalSeconds: opts.maintenanceIntervalSeconds ?? 60,
    archiveFailedAfterSeconds: 7 * 24 * 3600, // failures stay visible in the console for a week
  })
  boss.on('error', (e) => log(`job queue (pg-boss): ${e.message}`))
  // our own reads and the singleton guard of send()
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2, application_name: 'stowage-jobs' })
  pool.on('error', (e) => log(`job queue (pg-boss) connection: ${e.message}`))
  const registrations = new Map<JobName, Registration>()
  const pollingIntervalSeconds = opts.pollingIntervalSeconds ?? 1
  let started = false

  async function startWorkers(r: Registration) {
    for (let i = 0; i < r.concurrency; i++) {
      const id = await boss.work<JobPayloads[JobName]>(
        r.name,
        { batchSize: 1, pollingIntervalSeconds, includeMetadata: true },
        async ([job]) => r.handler(job.data, { id: job.id, retryCount: job.retryCount }),
      )
      r.workerIds.push(id)
    }
  }

  const expireIn = (name: JobName) => opts.expireInSeconds ?? DEFAULT_EXPIRE_SECONDS[name]

  const columns = `id, name, state, retry_count AS "retryCount", created_on AS "createdAt", started_on AS "startedAt",
    completed_on AS "completedAt", output, data`
  const view = (r: any): JobView => ({
    id: r.id,
    name: r.name,
    state: r.state,
    // pg-boss counts an attempt when the next one is fetched; ours counts failed attempts
    retryCount: r.state === 'retry' || r.state === 'failed' ? r.retryCount + 1 : r.retryCount,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    completedAt: r.completedAt,
    // a failed attempt's output is the serialized error; a completed job's, the handler's result
    error: r.state !== 'completed' && r.output && typeof r.output.message === 'string' ? r.output.message : null,
    data: r.data,
  })

  return {
    kind: 'pg-boss',
    async start() {
      if (started) return
      await boss.start() // creates or migrates the schema (under an advisory lock: instances may race)
      await createQueues()
      started = true
      for (const r of registrations.values()) await startWorkers(r)
    },
    async stop() {
      if (started) {
        // waits (bounded) for running handlers; pg-boss fails what still runs then, so it is retried
        await boss.stop({ graceful: true, wait: true, timeout: opts.stopTimeoutMs ?? 30_000 })
        started = false
      }
      await pool.end()
    },
    async send<N extends JobName>(name: N, data: JobPayloads[N], o: SendOptions = {}) {
      if (!started) throw new Error('the job queue is not started')
      const options: PgBoss.SendOptions = {
        retryLimit: o.retryLimit ?? DEFAULT_RETRY_LIMIT,
        retryDelay: o.retryDelaySeconds ?? DEFAULT_RETRY_DELAY_SECONDS,
        retryBackoff: true,
        expireInSeconds: expireIn(name),
        ...(o.startAfterSeconds ? { startAfter: o.startAfterSeconds } : {}),
      }
      let id: string | null
      if (!o.singletonKey) id = await boss.send(name, data as object, options)
      else id = await sendSingleton(name, data as object, { ...options, singletonKey: o.singletonKey })
      if (id && !o.startAfterSeconds) for (const w of registrations.get(name)?.workerIds ?? []) boss.notifyWorker(w)
      return id
    },
    async work<N extends JobName>(name: N, o: { concurrency: number }, handler: JobHandler<N>) {
      if (registrations.has(name)) throw new Error(`a worker for ${name} is registered already`)
      const r: Registration = { name, concurrency: Math.max(1, o.concurrency), handler: handler as JobHandler<JobName>, workerIds: [] }
      registrations.set(name, r)
      if (started) await startWorkers(r)
    },
    async counts() {
      const { rows } = await pool.query(`SELECT name, state, count(*)::int AS n FROM ${PG_BOSS_SCHEMA}.job WHERE name = ANY($1) GROUP BY name, state`, [JOB_NAMES])
      const counts = emptyCounts()
      for (const r of rows) addCount(counts, r.name, r.state, r.n)
      return counts
    },
    async recent(q) {
      const { rows } = await pool.query(
        `SELECT ${columns} FROM ${PG_BOSS_SCHEMA}.job WHERE name = ANY($1) AND ($2::text IS NULL OR state::text = $2)
         ORDER BY created_on DESC, id DESC LIMIT $3`,
        [q.name ? [q.name] : JOB_NAMES, q.state ?? null, q.limit],
      )
      return rows.map(view)
    },
    async get(id) {
      if (!UUID.test(id)) return null
      const { rows } = await pool.query(`SELECT ${columns} FROM ${PG_BOSS_SCHEMA}.job WHERE id = $1 AND name = ANY($2)`, [id, JOB_NAMES])
      return rows[0] ? view(rows[0]) : null
    },
    async idle(name) {
      for (;;) {
        const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${PG_BOSS_SCHEMA}.job WHERE name = ANY($1) AND state < 'completed'`, [name ? [name] : JOB_NAMES])
        if (rows[0].n === 0) return
        await new Promise((r) => setTimeout(r, 100))
      }
    },
  }

  /** One queue (a partition of pgboss.job) per kind. Two instances creating one at once deadlock, so they take turns. */
  async function createQueues() {
    const client = await pool.connect()
    try {
      await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', ['stowage.jobs.create-queues'])
      for (const name of JOB_NAMES) {
        if (await boss.getQueue(name)) continue
        await boss.createQueue(name, { name, policy: 'standard', retryLimit: DEFAULT_RETRY_LIMIT, retryDelay: DEFAULT_RETRY_DELAY_SECONDS, retryBackoff: true })
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', ['stowage.jobs.create-queues']).catch(() => {})
      client.release()
    }
  }

  /**
   * pg-boss's singleton policies key one state each (a job may be queued while its twin runs); ours is
   * "one queued or running job per key". So: under a transaction-scoped advisory lock on the key, look
   * for an open job with the key, and insert through pg-boss (its `db` option) in the same transaction.
   */
  async function sendSingleton(name: JobName, data: object, options: PgBoss.SendOptions & { singletonKey: string }) {
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
      await client.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`stowage.job:${name}:${options.singletonKey}`])
      const open = await client.query(`SELECT 1 FROM ${PG_BOSS_SCHEMA}.job WHERE name = $1 AND singleton_key = $2 AND state < 'completed' LIMIT 1`, [
        name,
        options.singletonKey,
      ])
      let id: string | null = null
      if (open.rowCount === 0) id = await boss.send(name, data, { ...options, db: { executeSql: (text, values) => client.query(text, values) } })
      await client.query('COMMIT')
      return id
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {})
      throw e
    } finally {
      client.release()
    }
  }
}
