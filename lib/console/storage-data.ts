// What the storage page renders first: the same read models GET /api/storage, /api/gc/runs and
// /api/jobs answer, in their JSON shapes.
import { storageUsage } from '../gc/storage-usage'
import { listGcRuns } from '../gc/gc-runs'
import type { StoragePageData } from './lifecycle-views'
import { consoleServices } from './services'
import { asPlainJson } from './plain-json'
import type { PageData } from './page-data'

export const RUNS_SHOWN = 20
export const FAILED_JOBS_SHOWN = 10

export async function storagePageData(): Promise<PageData<StoragePageData>> {
  const s = consoleServices()
  if (!s) return { data: null, error: { status: 503, code: 'UNAVAILABLE', message: 'the console runs without the Stowage server; start it with `npm start`' } }
  const [usage, runs, jobs] = await Promise.all([
    storageUsage(s),
    listGcRuns(s.db, { limit: RUNS_SHOWN }),
    s.jobs ? Promise.all([s.jobs.counts(), s.jobs.recent({ state: 'failed', limit: FAILED_JOBS_SHOWN })]).then(([counts, recent]) => ({ kind: s.jobs!.kind, counts, jobs: recent })) : null,
  ])
  const data: StoragePageData = asPlainJson({ usage, runs, jobs })
  return { data, error: null }
}
