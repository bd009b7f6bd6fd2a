// Prometheus metrics of one Stowage instance (prom-client). Request counters and histograms are fed by
// the front door when an exchange ends (exchange.ts); job queue depth and the last GC run's figures are
// read when /metrics is scraped (each read bounded by a timeout, so a slow database cannot hang a scrape);
// process metrics are the client library's defaults, kept in one registry per process.
import { Registry, Counter, Histogram, Gauge, collectDefaultMetrics } from 'prom-client'
import type { Services } from '../services'
import type { GcResult } from '../gc/run-gc'
import { JOB_NAMES } from '../jobs/job-queue'
import { withTimeout } from './timeout'

export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE

/** How long a scrape waits for each database read. */
export const SCRAPE_READ_TIMEOUT_MS = 2000

let processRegistry: Registry | null = null
/** Default metrics describe the process, which several test servers share: registered once. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry()
    collectDefaultMetrics({ register: processRegistry })
  }
  return processRegistry
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])
/** bounded: a client can send any method name */
export const methodLabel = (m: string | undefined) => (m && METHODS.has(m) ? m : 'other')

export type ImportOutcome = 'imported' | 'dry_run' | 'rejected' | 'failed' | 'aborted'

export class StowageMetrics {
  readonly registry = new Registry()
  private reg = { registers: [this.registry] }

  readonly requests = new Counter({ name: 'stowage_http_requests_total', help: 'HTTP requests by route (pattern), method and status', labelNames: ['route', 'method', 'status'] as const, ...this.reg })
  readonly requestDuration = new Histogram({
    name: 'stowage_http_request_duration_seconds',
    help: 'Time from the request to the end of the exchange, by route (pattern) and method',
    labelNames: ['route', 'method'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120, 600],
    ...this.reg,
  })
  readonly uploadedBytes = new Counter({ name: 'stowage_upload_bytes_total', help: 'Request body bytes received by uploads: console archive uploads (via="console") and registry blob pushes (via="registry")', labelNames: ['via'] as const, ...this.reg })
  readonly pulledBytes = new Counter({ name: 'stowage_pull_bytes_total', help: 'Blob bytes sent by registry blob GETs (/v2/*/blobs/*; redirects to the object store send none)', ...this.reg })
  readonly importDuration = new Histogram({
    name: 'stowage_archive_import_duration_seconds',
    help: 'Console archive uploads (POST /api/uploads) from request to answer, by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
    ...this.reg,
  })
  readonly jobs = new Gauge({ name: 'stowage_jobs', help: 'Background jobs by kind and state (queue depth: state="queued"), read at scrape time', labelNames: ['kind', 'state'] as const, ...this.reg })
  readonly gcFreedBytes = new Counter({ name: 'stowage_gc_freed_bytes_total', help: 'Bytes of objects deleted by garbage-collection runs of this instance (dry runs excluded)', ...this.reg })
  readonly gcRuns = new Counter({ name: 'stowage_gc_runs_total', help: 'Garbage-collection runs of this instance by state (dry runs excluded)', labelNames: ['state'] as const, ...this.reg })
  /** The latest finished real run of any instance (read from the database at scrape time). */
  readonly gcLastRun = Object.fromEntries(
    (
      [
        ['freed_bytes', 'Bytes the latest finished garbage-collection run (any instance, dry runs excluded) freed'],
        ['objects_deleted', 'Objects that run deleted'],
        ['blobs_deleted', 'Blobs that run deleted'],
        ['manifests_deleted', 'Manifests that run deleted'],
        ['finished_timestamp_seconds', 'When that run finished (Unix time)'],
        ['duration_seconds', 'How long that run took'],
        ['failed', '1 when that run recorded errors, else 0'],
      ] as const
    ).map(([figure, help]) => [figure, new Gauge({ name: `stowage_gc_last_run_${figure}`, help, ...this.reg })]),
  ) as Record<'freed_bytes' | 'objects_deleted' | 'blobs_deleted' | 'manifests_deleted' | 'finished_timestamp_seconds' | 'duration_seconds' | 'failed', Gauge>
  readonly collectorUp = new Gauge({ name: 'stowage_metrics_collector_up', help: '1 when the scrape-time read of this collector (jobs, gc) answered in time, else 0', labelNames: ['collector'] as const, ...this.reg })

  /** A finished GC run (called by runGc). */
  gcRunFinished(result: GcResult) {
    if (result.dryRun) return
    this.gcRuns.inc({ state: result.state })
    this.gcFreedBytes.inc(result.bytesFreed)
  }

  /** The text of a scrape: refreshes the scrape-time gauges, then this instance's and the process's metrics. */
  async scrape(services: Services): Promise<string> {
    await Promise.all([this.refreshJobs(services), this.refreshLastGc(services)])
    const [own, process] = await Promise.all([this.registry.metrics(), processMetrics().metrics()])
    return own + process
  }

  private async refreshJobs(services: Services) {
    const queue = services.jobs
    this.jobs.reset()
    if (!queue) return void this.collectorUp.set({ collector: 'jobs' }, 0)
    try {
      const counts = await withTimeout(queue.counts(), SCRAPE_READ_TIMEOUT_MS)
      for (const kind of JOB_NAMES) {
        const c = counts[kind]
        if (!c) continue
        for (const state of ['queued', 'active', 'failed', 'completed'] as const) this.jobs.set({ kind, state }, c[state])
      }
      this.collectorUp.set({ collector: 'jobs' }, 1)
    } catch {
      this.collectorUp.set({ collector: 'jobs' }, 0)
    }
  }

  /** no run yet (or unknown): the series are absent rather than a misleading 0 */
  private resetLastGc() {
    for (const g of Object.values(this.gcLastRun)) g.reset()
  }

  private async refreshLastGc(services: Services) {
    try {
      const run = await withTimeout(
        services.db.gcRun.findFirst({ where: { dryRun: false, state: { in: ['done', 'failed'] } }, orderBy: { id: 'desc' } }),
        SCRAPE_READ_TIMEOUT_MS,
      )
      this.resetLastGc()
      if (run) {
        const finished = run.finishedAt ?? run.startedAt
        const g = this.gcLastRun
        g.freed_bytes.set(Number(run.bytesFreed))
        g.objects_deleted.set(run.objectsDeleted)
        g.blobs_deleted.set(run.blobsDeleted)
        g.manifests_deleted.set(run.manifestsDeleted)
        g.finished_timestamp_seconds.set(finished.getTime() / 1000)
        g.duration_seconds.set((finished.getTime() - run.startedAt.getTime()) / 1000)
        g.failed.set(run.state === 'failed' ? 1 : 0)
      }
      this.collectorUp.set({ collector: 'gc' }, 1)
    } catch {
      this.resetLastGc()
      this.collectorUp.set({ collector: 'gc' }, 0)
    }
  }
}
