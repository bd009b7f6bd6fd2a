// /readyz: can this instance serve? The database answers a trivial query and the bucket answers a HEAD,
// each within a short timeout, checked in parallel. The answer names what failed in general words only:
// never an address, a URL or a credential from the underlying error.
import type { Services } from '../services'
import { isStoreUnavailable } from '../storage/store-errors'
import { withTimeout, TimedOut } from './timeout'
import { DEFAULT_CHECK_TIMEOUT_MS } from './ops'

export type CheckResult = { ok: true; ms: number } | { ok: false; ms: number; problem: string }
export type Readiness = { status: 'ready' | 'unavailable'; checks: { database: CheckResult; bucket: CheckResult }; failed: string[] }

export async function checkReadiness(services: Services): Promise<Readiness> {
  const ms = services.ops?.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS
  const [database, bucket] = await Promise.all([
    timed(() => services.db.$queryRawUnsafe('SELECT 1'), ms, databaseProblem),
    // the signal ends the abandoned request just after the check gave up on it (the timeout is the answer)
    timed(() => probeStore(services, AbortSignal.timeout(ms + 250)), ms, bucketProblem),
  ])
  const failed = Object.entries({ database, bucket })
    .filter(([, r]) => !r.ok)
    .map(([name]) => name)
  return { status: failed.length ? 'unavailable' : 'ready', checks: { database, bucket }, failed }
}

async function probeStore(services: Services, signal: AbortSignal) {
  const store = services.store
  if (store.probe) return store.probe(signal)
  await store.stat('readyz-probe') // drivers without a bucket-level probe: any answer means reachable
}

async function timed(check: () => Promise<unknown>, ms: number, describe: (e: unknown) => string): Promise<CheckResult> {
  const started = performance.now()
  const elapsed = () => Math.round(performance.now() - started)
  try {
    await withTimeout(check(), ms)
    return { ok: true, ms: elapsed() }
  } catch (e) {
    return { ok: false, ms: elapsed(), problem: e instanceof TimedOut ? `no answer within ${ms} ms` : describe(e) }
  }
}

function databaseProblem(e: unknown): string {
  const text = `${(e as any)?.code ?? ''} ${(e as any)?.message ?? ''} ${(e as any)?.cause?.code ?? ''}`
  if (/ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|P1001|P1017|terminat|Can't reach|connect/i.test(text)) return 'not reachable'
  return 'the test query failed'
}

function bucketProblem(e: unknown): string {
  const err = e as any
  if (isStoreUnavailable(e) || err?.name === 'AbortError' || err?.name === 'TimeoutError') return 'not reachable'
  const status = err?.$metadata?.httpStatusCode
  if (status === 404 || err?.name === 'NoSuchBucket' || err?.name === 'NotFound') return 'the bucket does not exist'
  if (status === 403 || err?.name === 'AccessDenied' || err?.name === 'Forbidden') return 'access to the bucket is denied'
  return status ? `the object store answered ${status}` : 'the object store failed'
}
