// The worker of every job kind: what each job does when a queue hands it over.
import type { Services } from '../services'
import type { JobQueue } from './job-queue'
import { measureBlob } from '../analysis/blob-analysis'
import { analyzeImage } from '../analysis/image-analysis'
import { runGc, GcBusyError } from '../gc/run-gc'
import { runRetention } from '../retention/run-retention'
import { expiryLogFields, runExpiry } from '../lifecycle/expire'

/** A log line: a message and, for a structured record, its fields (pino: logger.info(fields, msg)). */
export type JobLog = (msg: string, fields?: Record<string, unknown>) => void

export async function registerJobHandlers(services: Services, jobs: JobQueue, opts: { measureConcurrency: number; log: JobLog }) {
  await jobs.work('blob.measure', { concurrency: opts.measureConcurrency }, (data, job) => measureBlob(services, data.digest, job))
  await jobs.work('image.analyze', { concurrency: 1 }, (data, job) => analyzeImage(services, data.digest, job))
  await jobs.work('gc.run', { concurrency: 1 }, async (data) => {
    try {
      await runGc(services, { dryRun: data.dryRun, trigger: data.trigger, actor: data.actor ?? null })
    } catch (e) {
      if (e instanceof GcBusyError) return // another instance's run is collecting right now: this one is not needed
      throw e
    }
  })
  await jobs.work('retention.run', { concurrency: 1 }, async (data) => {
    await runRetention(services, { dryRun: false, policyId: data.policyId })
  })
  await jobs.work('expiry.run', { concurrency: 1 }, async () => {
    const t0 = performance.now()
    const collected = await runExpiry(services)
    // one line per run, also when nothing was collected: it shows the job runs
    opts.log('expiry run', expiryLogFields(collected, performance.now() - t0))
  })
}
