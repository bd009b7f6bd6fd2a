// Console API: background jobs (administrators): counts per kind and state, and the newest jobs with
// their state and the reason of their last failure.
import type { ApiRoute } from './api-routes'
import { allow } from './api-routes'
import { ApiError, sendJson } from './respond'
import { JOB_NAMES, type JobState } from '../jobs/job-queue'

const STATES: JobState[] = ['created', 'retry', 'active', 'completed', 'failed', 'cancelled']
const DEFAULT_LIMIT = 50
const MAX_LIMIT = 500

export const jobRoutes: ApiRoute[] = [
  {
    method: 'GET',
    pattern: /^\/api\/jobs$/,
    sample: '/api/jobs?state=failed&limit=10',
    audience: 'admin',
    async handle(ctx) {
      await allow(ctx, 'manage', { kind: 'server' })
      const q = ctx.url.searchParams
      const state = oneOf(q.get('state'), STATES, 'state')
      const name = oneOf(q.get('name'), JOB_NAMES, 'name')
      const limit = limitOf(q.get('limit'))
      const jobs = ctx.services.jobs
      if (!jobs) throw new ApiError(503, 'JOBS_UNAVAILABLE', 'background jobs are not running in this server')
      const [counts, recent] = await Promise.all([jobs.counts(), jobs.recent({ name: name ?? undefined, state: state ?? undefined, limit })])
      sendJson(ctx.res, 200, { kind: jobs.kind, counts, jobs: recent })
    },
  },
]

function oneOf<T extends string>(raw: string | null, allowed: readonly T[], what: string): T | null {
  if (raw === null || raw.trim() === '') return null
  if (!allowed.includes(raw as T)) throw new ApiError(400, 'PARAMETER_INVALID', `${what} must be one of ${allowed.join(', ')} (got "${raw.slice(0, 40)}")`)
  return raw as T
}

function limitOf(raw: string | null): number {
  if (raw === null || raw === '') return DEFAULT_LIMIT
  const n = /^\d{1,6}$/.test(raw) ? Number(raw) : NaN
  if (!(n >= 1 && n <= MAX_LIMIT)) throw new ApiError(400, 'PARAMETER_INVALID', `limit must be a whole number from 1 to ${MAX_LIMIT} (got "${raw.slice(0, 40)}")`)
  return n
}
