// Shared by the fault injection tests (faults-*.test.ts): a Stowage server whose object store is reached
// through the fault proxy (tests/helpers/fault-proxy.ts) with short client timeouts, and proof that a
// failed write left nothing behind once expiry has run.
import { startStack, snapshot, type Stack } from '../helpers/stack'
import { namedKeys } from '../../lib/gc/orphans'
import { faultProxy, type FaultProxy } from '../helpers/fault-proxy'
import { openS3Store } from '../../lib/storage/open-store'
import { listen, type RunningServer } from '../../lib/http/stowage-server'
import { runExpiry } from '../../lib/lifecycle/expire'
import { runGc } from '../../lib/gc/run-gc'
import type { Services } from '../../lib/services'
import type { DbProvider } from '../../lib/db/provider'
import type { S3ClientTuning } from '../../lib/storage/s3-client-options'
import { multipartLeftovers } from './store-outage-support'
import { externalS3 } from '../helpers/test-s3'

/**
 * Short enough that a store that never answers fails an upload in seconds, long enough for an 8 MiB part
 * on a busy 2-core machine; two attempts: one retry after a fault.
 */
export const TEST_TUNING: S3ClientTuning = { connectTimeoutMs: 1000, requestTimeoutMs: 2000, maxAttempts: 2 }

export type FaultyRegistry = { stack: Stack; proxy: FaultProxy; services: Services; server: RunningServer; url: string; close(): Promise<void> }

export async function faultyRegistry(provider: DbProvider, tuning: Partial<S3ClientTuning> = TEST_TUNING): Promise<FaultyRegistry> {
  const stack = await startStack(provider)
  const proxy = await faultProxy(stack.s3Endpoint)
  // the stack's own bucket and credentials (s3rver's, or a TEST_S3_* service such as Ceph), reached through the proxy
  const store = await openS3Store({ ...stack.s3, endpoint: proxy.endpoint, tuning })
  const services: Services = { ...stack, store }
  const server = await listen(services, { port: 0, host: '127.0.0.1' })
  return {
    stack,
    proxy,
    services,
    server,
    url: server.url,
    async close() {
      await server.close()
      await proxy.close()
      await stack.close()
    },
  }
}

/**
 * Runs expiry, then garbage collection, as if every age limit and grace had passed (the faults cleared
 * first: both talk to the store through the proxy like everything else), then returns what the bucket
 * and the database hold. `unnamedAfterExpiry`: objects expiry could not know about — writes the store
 * finished after Stowage had given up on them (a timeout) and had already discarded their rows; only the
 * orphan sweep of GC (after STOWAGE_GC_GRACE_SECONDS) takes those.
 */
export async function afterExpiry(reg: FaultyRegistry, known: string[]): Promise<Awaited<ReturnType<typeof snapshot>> & { multipartParts: number; unnamedAfterExpiry: string[]; unnamed: string[] }> {
  await reg.proxy.settled()
  reg.proxy.clear()
  const lifecycle = { ...reg.services.lifecycle, stagedExpirySeconds: 0, multipartExpirySeconds: 0, uploadSessionExpirySeconds: 0, gcGraceSeconds: 0 }
  await runExpiry({ ...reg.services, lifecycle })
  const unnamedAfterExpiry = (await snapshot(reg.stack)).objects.filter((k) => !known.includes(k))
  await runGc({ ...reg.services, lifecycle }, { dryRun: false, trigger: 'manual' })
  const after = await snapshot(reg.stack) // s3Dir: the fault proxy fronts the embedded server only
  return { ...after, multipartParts: multipartLeftovers(reg.stack.s3Dir!).length, unnamedAfterExpiry, unnamed: await unnamedObjects(reg.stack, after.objects) }
}

/** Objects no row names (what nothing but GC's orphan sweep would ever delete), by GC's own rule. */
async function unnamedObjects(stack: Stack, keys: string[]) {
  const named = await namedKeys(stack.db, keys)
  return keys.filter((k) => !named.has(k))
}

export async function consoleUpload(url: string, archive: Buffer) {
  const res = await fetch(`${url}/api/uploads`, { method: 'POST', body: new Uint8Array(archive) })
  const text = await res.text()
  let body: any
  try {
    body = JSON.parse(text)
  } catch {
    body = { raw: text }
  }
  return { status: res.status, body }
}

/**
 * The fault tests count what the embedded s3rver keeps in its folder (multipart parts of failed uploads):
 * on an external S3 service (TEST_S3_ENDPOINT, e.g. `npm run test:ceph`) they skip, saying so once.
 */
export function faultsNeedEmbeddedS3(): boolean {
  if (!externalS3()) return false
  console.log("skipped on external S3 (TEST_S3_ENDPOINT): the fault tests count the embedded s3rver's multipart folders")
  return true
}

