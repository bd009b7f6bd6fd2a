// Background work on stored layers, off the upload's critical path: the "compressed" size (what a
// docker push would send) for layers stored uncompressed, and the uncompressed size for layers pushed
// compressed. Jobs live in the database (Blob.analysisState), so they survive restarts; a lease lets
// a crashed run be picked up again.
import type { Services } from '../services'
import { gzipSize, gunzipSize } from './measure'
import { MediaType } from '../registry/media-types'

const LEASE_MS = 15 * 60 * 1000

export type BlobAnalysis = { stop(): Promise<void>; kick(): void; idle(): Promise<void> }

export function startBlobAnalysis(services: Services, opts: { concurrency: number; pollMs?: number }): BlobAnalysis {
  const pollMs = opts.pollMs ?? 1000
  const running = new Set<Promise<void>>()
  let stopped = false
  let timer: NodeJS.Timeout | null = null
  let scanning = false
  let idleWaiters: (() => void)[] = []

  const schedule = (ms: number) => {
    if (stopped) return
    if (timer) clearTimeout(timer)
    timer = setTimeout(() => void scan(), ms)
    timer.unref()
  }

  async function scan() {
    if (scanning || stopped) return
    scanning = true
    try {
      const free = opts.concurrency - running.size
      if (free > 0) {
        const now = new Date()
        const candidates = await services.db.blob.findMany({
          where: {
            OR: [{ analysisState: 'pending' }, { analysisState: 'running', analysisLeaseUntil: { lt: now } }],
          },
          orderBy: { createdAt: 'asc' },
          take: free,
          select: { digest: true, analysisState: true },
        })
        for (const c of candidates) {
          // Claim with a conditional update: only one worker (or process) wins a blob.
          const claimed = await services.db.blob.updateMany({
            where: { digest: c.digest, analysisState: c.analysisState, ...(c.analysisState === 'running' ? { analysisLeaseUntil: { lt: now } } : {}) },
            data: { analysisState: 'running', analysisLeaseUntil: new Date(Date.now() + LEASE_MS) },
          })
          if (claimed.count !== 1) continue
          const job = analyse(services, c.digest).finally(() => {
            running.delete(job)
            schedule(0)
          })
          running.add(job)
        }
      }
      if (running.size === 0) {
        const waiters = idleWaiters
        idleWaiters = []
        waiters.forEach((w) => w())
      }
    } catch (e) {
      if (!stopped) console.error('blob analysis scan failed:', (e as Error).message)
    } finally {
      scanning = false
      schedule(pollMs)
    }
  }

  schedule(0)
  return {
    kick: () => schedule(0),
    async stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      await Promise.allSettled([...running])
    },
    /** Resolves when no job is running and none is pending (for tests and benchmarks). */
    async idle() {
      for (;;) {
        const pending = await services.db.blob.count({ where: { analysisState: { in: ['pending', 'running'] } } })
        if (pending === 0 && running.size === 0) return
        await new Promise<void>((r) => {
          idleWaiters.push(r)
          schedule(0)
        })
      }
    },
  }
}

async function analyse(services: Services, digest: string) {
  try {
    const blob = await services.db.blob.findUniqueOrThrow({ where: { digest } })
    const body = await services.store.read(blob.objectKey)
    const compressed = blob.mediaType === MediaType.ociLayerGzip || blob.mediaType === MediaType.dockerLayerGzip
    const data = compressed
      ? { uncompressedSize: BigInt(await gunzipSize(body)), compressedSize: blob.size }
      : { compressedSize: BigInt(await gzipSize(body)), uncompressedSize: blob.size }
    await services.db.blob.update({ where: { digest }, data: { ...data, analysisState: 'done', analysisError: null, analysisLeaseUntil: null } })
  } catch (e) {
    await services.db.blob
      .update({ where: { digest }, data: { analysisState: 'failed', analysisError: String((e as Error).message).slice(0, 500), analysisLeaseUntil: null } })
      .catch(() => {})
  }
}
