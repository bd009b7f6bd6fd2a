// What every benchmark needs: its command-line options, a timer that also reports the longest
// event-loop stall while the measured work ran (the "no request may block" standard, measured), and the
// report: Markdown tables, the run's header line, the results file. Not a test: benchmarks print numbers
// and assert nothing about time. The stack's modules load only when a stack is started, so the
// benchmarks that run Stowage as a process (read-load, registry-compare) use the report part alone.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { Services } from '../lib/services'
import type { DbProvider } from '../lib/db/provider'
import { machineSummary } from './proc-stats'

/** `--name value` from the command line, or the fallback. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1] : fallback
}

export type Sample<T> = { ms: number; cpuMs: number; rssGrowth: number; heapBefore: number; heapPeak: number; heapAfter: number; loopMaxMs: number; value: T }

/**
 * Runs fn while sampling RSS and heap every 10 ms and the event loop's delay: its wall and CPU time, the peak
 * RSS growth, the heap before, at its peak and after (exact with `node --expose-gc`), the longest loop delay.
 */
export async function sampled<T>(fn: () => Promise<T>): Promise<Sample<T>> {
  global.gc?.()
  const start = process.memoryUsage()
  let rssPeak = start.rss
  let heapPeak = start.heapUsed
  const timer = setInterval(() => {
    const m = process.memoryUsage()
    rssPeak = Math.max(rssPeak, m.rss)
    heapPeak = Math.max(heapPeak, m.heapUsed)
  }, 10)
  const loop = monitorEventLoopDelay({ resolution: 5 })
  loop.enable()
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  try {
    const value = await fn()
    const ms = performance.now() - t0
    const cpu = process.cpuUsage(cpu0)
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss)
    global.gc?.()
    const heapAfter = process.memoryUsage().heapUsed
    return { ms, cpuMs: (cpu.user + cpu.system) / 1000, rssGrowth: rssPeak - start.rss, heapBefore: start.heapUsed, heapPeak, heapAfter, loopMaxMs: loop.max / 1e6, value }
  } finally {
    loop.disable()
    clearInterval(timer)
  }
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
  const [{ createDatabase }, { startEmbeddedS3 }, { openS3Store }, { openDatabase }, { migrateDatabase }, { defaultLimits }] = await Promise.all([
    import('../tests/helpers/stack'),
    import('../lib/storage/embedded-s3'),
    import('../lib/storage/open-store'),
    import('../lib/db/client'),
    import('../lib/db/migrate'),
    import('../lib/config'),
  ])
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

export type Align = 'left' | 'right'

/** A Markdown table: the header row, the alignment row (`---` or `---:`), one row per item. */
export function markdownTable(columns: [title: string, align: Align][], rows: (string | number)[][]): string[] {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`
  return [line(columns.map(([title]) => title)), line(columns.map(([, align]) => (align === 'right' ? '---:' : '---'))), ...rows.map(line)]
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/** The first line of a report: when, on what machine and commit, and how busy the machine was. */
export const runHeader = (root: string, started: Date, loadAverage: number) =>
  `${started.toISOString()} — ${machineSummary(root)}; 1-min load average at start ${loadAverage.toFixed(2)}.`

/** Writes the report to `file` (its folder created), prints it, and says where it went. */
export function writeReport(root: string, file: string, lines: string[], log: (m: string) => void) {
  const text = lines.join('\n') + '\n'
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, text)
  console.log(text)
  log(`written to ${path.relative(root, file)}`)
}
