// The job queue on SQLite: jobs are rows of LocalJob, run by workers in this process. A worker claims a
// job with a conditional update (only one claim wins) and holds a lease it renews while the handler runs,
// so a job whose process died is claimed again once the lease ran out (that counts as a failed attempt).
import { randomUUID } from 'node:crypto'
import type { Db } from '../db/client'
import { JOB_NAMES, type JobHandler, type JobName, type JobPayloads, type JobQueue, type JobState, type JobView, type SendOptions } from './job-queue'
import { DEFAULT_RETRY_DELAY_SECONDS, DEFAULT_RETRY_LIMIT, addCount, emptyCounts, failureMessage } from './job-defaults'

export type LocalQueueOptions = {
  /** a running job not heard of for this long is taken to be dead and run again (default 60) */
  leaseSeconds?: number
  /** how often idle workers look for due jobs (default 1000; a send in this process wakes them at once) */
  pollMs?: number
  /** how long stop() waits for running handlers (default 30 s) */
  stopTimeoutMs?: number
  log?: (m: string) => void
}

const OPEN_STATES: JobState[] = ['created', 'retry', 'active']
/** finished jobs are kept this long for the console, then deleted */
const KEEP_COMPLETED_MS = 24 * 3600 * 1000
const KEEP_FAILED_MS = 14 * 24 * 3600 * 1000
const CLEANUP_EVERY_MS = 3600 * 1000

type Worker = { name: JobName; concurrency: number; handler: JobHandler<JobName>; running: Map<string, Promise<void>> }
type Row = Awaited<ReturnType<Db['localJob']['findFirstOrThrow']>>

export function openLocalQueue(db: Db, opts: LocalQueueOptions = {}): JobQueue {
  const leaseMs = (opts.leaseSeconds ?? 60) * 1000
  const pollMs = opts.pollMs ?? 1000
  const log = opts.log ?? ((m: string) => console.error(m))
  const workers = new Map<JobName, Worker>()
  let started = false
  let stopped = false
  let timer: NodeJS.Timeout | null = null
  let polling = false
  let pollAgain = false
  let lastCleanup = 0

  const schedule = (ms: number) => {
    if (!started || stopped) return
    if (timer) clearTimeout(timer)
    timer = setTimeout(() => void poll(), ms)
    timer.unref()
  }

  async function poll() {
    if (polling) return void (pollAgain = true)
    polling = true
    try {
      for (const w of workers.values()) {
        const free = w.concurrency - w.running.size
        if (free > 0 && !stopped) await claim(w, free)
      }
      if (Date.now() - lastCleanup > CLEANUP_EVERY_MS) {
        lastCleanup = Date.now()
        await db.localJob.deleteMany({
          where: {
            OR: [
              { state: 'completed', completedAt: { lt: new Date(Date.now() - KEEP_COMPLETED_MS) } },
              { state: { in: ['failed', 'cancelled'] }, completedAt: { lt: new Date(Date.now() - KEEP_FAILED_MS) } },
            ],
          },
        })
      }
    } catch (e) {
      if (!stopped) log(`job queue: looking for jobs failed (tried again): ${(e as Error).message}`)
    } finally {
      polling = false
      const again = pollAgain
      pollAgain = false
      schedule(again ? 0 : pollMs)
    }
  }

  async function claim(w: Worker, free: number) {
    const now = new Date()
    const due = await db.localJob.findMany({
      where: {
        name: w.name,
        OR: [{ state: { in: ['created', 'retry'] }, startAfter: { lte: now } }, { state: 'active', leaseUntil: { lt: now } }],
      },
      orderBy: { createdAt: 'asc' },
      take: free,
    })
    for (const job of due) {
      const leaseUntil = new Date(Date.now() + leaseMs)
      const startedAt = new Date()
      let claimed: number
      if (job.state === 'active') {
        // its process died (or stopped) while running it: that attempt failed
        const died = { message: 'the process running this job stopped before it finished (lease expired)' }
        const exhausted = job.retryCount + 1 > job.retryLimit
        claimed = (
          await db.localJob.updateMany({
            where: { id: job.id, state: 'active', leaseUntil: { lt: now } },
            data: exhausted
              ? { state: 'failed', retryCount: { increment: 1 }, leaseUntil: null, completedAt: startedAt, output: JSON.stringify(died) }
              : { retryCount: { increment: 1 }, leaseUntil, startedAt, output: JSON.stringify(died) },
          })
        ).count
        if (exhausted) continue
        job.retryCount++
      } else {
        claimed = (await db.localJob.updateMany({ where: { id: job.id, state: job.state }, data: { state: 'active', leaseUntil, startedAt } })).count
      }
      if (claimed !== 1) continue // another worker (or process) won it
      const run = execute(w, job, startedAt).finally(() => {
        w.running.delete(job.id)
        schedule(0)
      })
      w.running.set(job.id, run)
    }
  }

  async function execute(w: Worker, job: Row, startedAt: Date) {
    const mine = { id: job.id, state: 'active', startedAt } // a stale run never finishes a job claimed again since
    const heartbeat = setInterval(() => {
      db.localJob.updateMany({ where: mine, data: { leaseUntil: new Date(Date.now() + leaseMs) } }).catch(() => {})
    }, Math.max(50, leaseMs / 3))
    heartbeat.unref()
    try {
      let failure: unknown = null
      try {
        await w.handler(JSON.parse(job.data), { id: job.id, retryCount: job.retryCount })
      } catch (e) {
        failure = e ?? new Error('failed')
      }
      clearInterval(heartbeat)
      const at = new Date()
      if (failure === null) {
        await db.localJob.updateMany({ where: mine, data: { state: 'completed', completedAt: at, leaseUntil: null } })
        return
      }
      const output = JSON.stringify({ message: failureMessage(failure) })
      if (job.retryCount + 1 > job.retryLimit) {
        await db.localJob.updateMany({ where: mine, data: { state: 'failed', retryCount: { increment: 1 }, completedAt: at, leaseUntil: null, output } })
      } else {
        // backoff: the delay doubles with every failed attempt
        const delayMs = job.retryDelay * 1000 * 2 ** job.retryCount
        await db.localJob.updateMany({
          where: mine,
          data: { state: 'retry', retryCount: { increment: 1 }, startAfter: new Date(at.getTime() + delayMs), leaseUntil: null, output },
        })
      }
    } catch (e) {
      if (!stopped) log(`job queue: recording the end of job ${job.id} (${job.name}) failed: ${(e as Error).message}`)
    } finally {
      clearInterval(heartbeat)
    }
  }

  const view = (r: Row): JobView => ({
    id: r.id,
    name: r.name as JobName,
    state: r.state as JobState,
    retryCount: r.retryCount,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    completedAt: r.completedAt,
    error: r.output ? (JSON.parse(r.output).message ?? null) : null,
    data: JSON.parse(r.data),
  })

  return {
    kind: 'in-process',
    async start() {
      if (started) return
      started = true
      stopped = false
      schedule(0)
    },
    async stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      const running = [...workers.values()].flatMap((w) => [...w.running.values()])
      let timeout: NodeJS.Timeout | undefined
      await Promise.race([Promise.allSettled(running), new Promise((r) => (timeout = setTimeout(r, opts.stopTimeoutMs ?? 30_000)))])
      clearTimeout(timeout)
      // still running: let the next start take them again at once (counted as a failed attempt)
      const left = [...workers.values()].flatMap((w) => [...w.running.keys()])
      if (left.length) await db.localJob.updateMany({ where: { id: { in: left }, state: 'active' }, data: { leaseUntil: new Date(0) } }).catch(() => {})
      started = false
    },
    async send<N extends JobName>(name: N, data: JobPayloads[N], o: SendOptions = {}) {
      const id = await db.$transaction(async (tx) => {
        if (o.singletonKey) {
          const open = await tx.localJob.findFirst({ where: { name, singletonKey: o.singletonKey, state: { in: OPEN_STATES } }, select: { id: true } })
          if (open) return null
        }
        const row = await tx.localJob.create({
          data: {
            id: randomUUID(),
            name,
            singletonKey: o.singletonKey ?? null,
            data: JSON.stringify(data),
            state: 'created',
            retryLimit: o.retryLimit ?? DEFAULT_RETRY_LIMIT,
            retryDelay: o.retryDelaySeconds ?? DEFAULT_RETRY_DELAY_SECONDS,
            startAfter: new Date(Date.now() + (o.startAfterSeconds ?? 0) * 1000),
          },
          select: { id: true },
        })
        return row.id
      })
      if (id && workers.has(name) && !o.startAfterSeconds) schedule(0)
      return id
    },
    async work<N extends JobName>(name: N, o: { concurrency: number }, handler: JobHandler<N>) {
      if (workers.has(name)) throw new Error(`a worker for ${name} is registered already`)
      workers.set(name, { name, concurrency: Math.max(1, o.concurrency), handler: handler as JobHandler<JobName>, running: new Map() })
      schedule(0)
    },
    async counts() {
      const groups = await db.localJob.groupBy({ by: ['name', 'state'], _count: { _all: true } })
      const counts = emptyCounts()
      for (const g of groups) addCount(counts, g.name, g.state, g._count._all)
      return counts
    },
    async recent(q) {
      const rows = await db.localJob.findMany({
        where: { ...(q.name ? { name: q.name } : { name: { in: JOB_NAMES } }), ...(q.state ? { state: q.state } : {}) },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: q.limit,
      })
      return rows.map(view)
    },
    async get(id) {
      const row = await db.localJob.findUnique({ where: { id } })
      return row ? view(row) : null
    },
    async idle(name) {
      for (;;) {
        const open = await db.localJob.count({ where: { ...(name ? { name } : {}), state: { in: OPEN_STATES } } })
        if (open === 0) return
        await new Promise((r) => setTimeout(r, 50))
      }
    },
  }
}
