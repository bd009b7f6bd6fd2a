// Console API of garbage collection (administrators): run it (dry or real), its past runs, and the
// storage figures. The work is in lib/gc/.
import type { ApiRoute } from './api-routes'
import { allow } from './api-routes'
import { ApiError, sendJson } from './respond'
import { runGc, GcBusyError } from '../gc/run-gc'
import { listGcRuns, DEFAULT_RUNS, MAX_RUNS } from '../gc/gc-runs'
import { storageUsage } from '../gc/storage-usage'
import { recordAudit } from '../audit/audit-log'
import { displayName } from '../auth/principal'

/** `dryRun=true|false`; absent means a dry run (the harmless one). */
function dryRunOf(url: URL): boolean {
  const raw = url.searchParams.get('dryRun')
  if (raw === null || raw === '' || raw === 'true') return true
  if (raw === 'false') return false
  throw new ApiError(400, 'PARAMETER_INVALID', `dryRun must be true or false (got "${raw.slice(0, 40)}")`)
}

function limitOf(url: URL): number {
  const raw = url.searchParams.get('limit')
  if (raw === null || raw === '') return DEFAULT_RUNS
  const n = /^\d{1,6}$/.test(raw) ? Number(raw) : NaN
  if (!(n >= 1 && n <= MAX_RUNS)) throw new ApiError(400, 'PARAMETER_INVALID', `limit must be a whole number from 1 to ${MAX_RUNS} (got "${raw.slice(0, 40)}")`)
  return n
}

export const gcRoutes: ApiRoute[] = [
  {
    method: 'POST',
    pattern: /^\/api\/gc$/,
    sample: '/api/gc?dryRun=true',
    audience: 'admin',
    async handle(ctx) {
      const principal = await allow(ctx, 'manage', { kind: 'server' })
      const dryRun = dryRunOf(ctx.url)
      const actor = principal.kind === 'user' ? displayName(principal) : null
      try {
        const result = await runGc(ctx.services, { dryRun, trigger: 'manual', actor })
        if (!dryRun) {
          await recordAudit(ctx.services, ctx.req, {
            action: 'gc.run',
            actor: principal,
            outcome: result.state === 'done' ? 'ok' : 'failed',
            target: `gc run ${result.runId}`,
            detail: { manifests: result.manifestsDeleted, links: result.linksDeleted, blobs: result.blobsDeleted, objects: result.objectsDeleted, bytes: result.bytesFreed, errors: result.errors.length },
          })
        }
        sendJson(ctx.res, 200, result)
      } catch (e) {
        if (e instanceof GcBusyError) throw new ApiError(409, 'GC_RUNNING', e.message, { runningId: e.runningId })
        throw e
      }
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/gc\/runs$/,
    sample: '/api/gc/runs',
    audience: 'admin',
    async handle(ctx) {
      await allow(ctx, 'manage', { kind: 'server' })
      sendJson(ctx.res, 200, { runs: await listGcRuns(ctx.services.db, { limit: limitOf(ctx.url) }) })
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/storage$/,
    sample: '/api/storage',
    audience: 'admin',
    async handle(ctx) {
      await allow(ctx, 'manage', { kind: 'server' })
      sendJson(ctx.res, 200, await storageUsage(ctx.services))
    },
  },
]
