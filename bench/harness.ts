// What every in-process benchmark needs: its command-line options and a timer that also reports the
// longest event-loop stall while the measured work ran (the "no request may block" standard, measured).
// Not a test: benchmarks print numbers and assert nothing about time.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { createDatabase } from '../tests/helpers/stack'
import { startEmbeddedS3 } from '../lib/storage/embedded-s3'
import { openS3Store } from '../lib/storage/open-store'
import { openDatabase } from '../lib/db/client'
import { migrateDatabase } from '../lib/db/migrate'
import { defaultLimits } from '../lib/config'
import type { Services } from '../lib/services'
import type { DbProvider } from '../lib/db/provider'

/** `--name value` from the command line, or the fallback. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1] : fallback
}

/** stallMs: the 5 ms timer's longest gap; loopDelayMaxMs: perf_hooks monitorEventLoopDelay's maximum (10 ms resolution) */
export type Measured<T> = { ms: number; stallMs: number; loopDelayMaxMs: number; value: T }

/**
 * Runs fn while sampling the event loop every 5 ms; the longest gap beyond that is the worst stall.
 * A failure of fn is thrown after the timer stopped (a bench that expects failures catches them in fn).
 */
export async function measured<T>(fn: () => Promise<T>): Promise<Measured<T>> {
  let worst = 0
  const histogram = monitorEventLoopDelay({ resolution: 10 })
  histogram.enable()
  let last = performance.now()
  const timer = setInterval(() => {
    const now = performance.now()
    worst = Math.max(worst, now - last - 5)
    last = now
  }, 5)
  const t0 = performance.now()
  try {
    const value = await fn()
    const ms = performance.now() - t0
    histogram.disable()
    return { ms, stallMs: Math.max(0, worst), loopDelayMaxMs: histogram.max / 1e6, value }
  } finally {
    clearInterval(timer)
    histogram.disable()
  }
}

export type BenchStack = Services & { close(): Promise<void> }

/**
 * A fresh database and bucket with the object store in its own process (as the embedded one runs in
 * production): in-process, the store's own work would count as Stowage's event-loop stall.
 */
export async function startBenchStack(provider: DbProvider, name: string): Promise<BenchStack> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `stowage-bench-${name}-`))
  const s3 = await startEmbeddedS3(dir, 'layers', { log: () => {} })
  const database = await createDatabase(provider, dir)
  await migrateDatabase(database.url)
  const db = await openDatabase(database.url)
  const store = await openS3Store({ endpoint: s3.endpoint, bucket: 'layers', region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true })
  return {
    db,
    store,
    limits: defaultLimits,
    async close() {
      await db.$disconnect()
      await s3.stop()
      await database.drop()
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}
