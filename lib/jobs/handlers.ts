// The worker of every job kind: what each job does when a queue hands it over.
import type { Services } from '../services'
import type { JobQueue } from './job-queue'
import { measureBlob } from '../analysis/blob-analysis'
import { runGc, GcBusyError } from '../gc/run-gc'
import { runRetention } from '../retention/run-retention'
import { runExpiry } from '../lifecycle/expire'

export async function registerJobHandlers(services: Services, jobs: JobQueue, opts: { measureConcurrency: number }) {
  await jobs.work('blob.measure', { concurrency: opts.measureConcurrency }, (data, job) => measureBlob(services, data.digest, job))
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
    await runExpiry(services)
  })
}
