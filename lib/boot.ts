// Start-up: validate configuration, start the embedded S3 server when no S3 is configured, migrate
// the database, collect what a crash left behind (expiry), start background jobs (measurement, GC, retention, expiry).
import type { JobLog } from './jobs/handlers'
import os from 'node:os'
import fs from 'node:fs'
import { loadConfig, type Config } from './config'
import { startEmbeddedS3, type EmbeddedS3, type EmbeddedS3Options } from './storage/embedded-s3'
import { openS3Store } from './storage/open-store'
import { migrateInChildProcess } from './db/migrate-process'
import { openDatabase } from './db/client'
import { providerOf } from './db/provider'
import { startJobs, type RunningJobs } from './jobs/start-jobs'
import { runExpiry, describeExpiry } from './lifecycle/expire'
import { lifecycleOf } from './lifecycle/settings'
import type { Services } from './services'
import { ensureFirstAdmin } from './auth/first-admin'
import { parseTrustedProxies } from './http/client-address'
import { openRedis } from './limits/redis'
import { createRateLimiter } from './limits/rate-limit'
import { createSignInThrottle } from './limits/sign-in-throttle'
import { describeCounters, openPostgresCounters } from './limits/shared-counters'
import { createOps } from './ops/ops'

export const EMBEDDED_STORE_WITH_POSTGRES =
  "warning: PostgreSQL with the embedded object store: blobs stay in this instance's data directory. To run several instances, set S3_ENDPOINT (and S3_BUCKET) to one shared bucket on every instance."

export type Runtime = {
  config: Config
  services: Services
  /** background jobs (services.jobs): compressed sizes, gc, retention, expiry */
  jobs: RunningJobs
  embeddedS3: EmbeddedS3 | null
  /** set when no user exists and STOWAGE_ADMIN_PASSWORD was not given: the one-time token of /setup */
  setupToken: string | null
  shutdown(): Promise<void>
}

export async function boot(
  env: Record<string, string | undefined> = process.env,
  /** fields: a structured record's (the expiry job's line) */
  log: JobLog = (m) => console.log(m),
  opts: { embeddedS3?: Pick<EmbeddedS3Options, 'restartDelaysMs'> } = {},
): Promise<Runtime> {
  const config = loadConfig(env, os.cpus().length)
  // started by scripts/start.mjs: its pipe closes when the launcher dies, and the server must not outlive it
  if (env.STOWAGE_EXIT_WITH_STDIN === '1') exitWhenStdinCloses(log)
  fs.mkdirSync(config.dataDir, { recursive: true })
  // first: an unreachable REDIS_URL stops the start before anything else is started
  const redis = config.redisUrl ? await openRedis(config.redisUrl, log) : null
  // without Redis, instances on one PostgreSQL database count in it: limits must never be per process there
  const postgres = redis ? null : openPostgresCounters(config.databaseUrl, log)
  log(describeCounters({ redis, postgres }))
  let services: Services | null = null
  const embeddedS3 = config.s3.endpoint
    ? null
    : await startEmbeddedS3(config.dataDir, config.s3.bucket, {
        ...opts.embeddedS3,
        log,
        // uploads that failed while it was down left staged objects and parts behind
        onRestarted: () => services && void sweepLeftovers(services, log),
      })
  const endpoint = config.s3.endpoint ?? embeddedS3!.endpoint
  if (embeddedS3) log(`embedded S3 server at ${endpoint} (data in ${config.dataDir}/s3)`)
  // PostgreSQL is what several instances share; the embedded store is this instance's own folder: a second
  // instance on the same database would find rows whose objects it cannot read
  if (embeddedS3 && providerOf(config.databaseUrl) === 'postgresql') log(EMBEDDED_STORE_WITH_POSTGRES)
  const store = await openS3Store({ ...config.s3, endpoint })
  if (embeddedS3) store.unavailableMessage = 'the embedded object store is not reachable (it stopped; the server is restarting it); try again in a moment'
  const applied = await migrateInChildProcess(config.databaseUrl)
  if (applied.length) log(`database migrated: ${applied.join(', ')}`)
  const db = await openDatabase(config.databaseUrl)
  services = {
    db,
    store,
    limits: config.limits,
    blobRedirectSeconds: config.blobRedirectSeconds,
    auth: { signInThrottle: createSignInThrottle({ redis, postgres, log }) },
    network: { trustedProxies: config.trustedProxies ? parseTrustedProxies(config.trustedProxies) : null },
    rateLimit: createRateLimiter({ db, defaultPerSecond: config.pushRatePerSecond, windowSeconds: config.pushRateWindowSeconds, redis, postgres, log }),
    lifecycle: config.lifecycle,
    ops: createOps({ metricsToken: config.metricsToken }),
  }
  const firstAdmin = await ensureFirstAdmin(db, config.admin)
  if (firstAdmin.kind === 'created') log(`created the administrator "${firstAdmin.user}" (STOWAGE_ADMIN_PASSWORD)`)
  // what a crashed instance left; other instances may be running: only work whose owner is gone goes
  await sweepLeftovers(services, log)
  const jobs = await startJobs(services, {
    databaseUrl: config.databaseUrl,
    measureConcurrency: config.analysisConcurrency,
    prioritizeForeground: config.foregroundPriority,
    log,
  })
  const running = services
  // afterwards every STOWAGE_EXPIRY_INTERVAL_SECONDS as the `expiry.run` job (lib/jobs/schedule.ts)
  // the uploads a crashed instance was receiving become collectable once their lease runs out: look again then
  const afterLeases = setTimeout(() => void sweepLeftovers(running, log), lifecycleOf(running).uploadLeaseSeconds * 1000 + 5000)
  afterLeases.unref()
  return {
    config,
    services,
    jobs,
    embeddedS3,
    setupToken: firstAdmin.kind === 'setup' ? firstAdmin.token : null,
    async shutdown() {
      clearTimeout(afterLeases)
      await jobs.stop()
      await db.$disconnect()
      await embeddedS3?.stop()
      redis?.disconnect()
      await postgres?.end()
    },
  }
}

/**
 * Collects what failed or interrupted writes left (lib/lifecycle/expire.ts runExpiry): at start, after the
 * embedded store restarted, and periodically. Never throws (the next sweep tries again).
 */
export async function sweepLeftovers(services: Services, log: (m: string) => void) {
  try {
    const line = describeExpiry(await runExpiry(services))
    if (line) log(line)
  } catch (e) {
    log(`sweeping leftover objects failed (retried later): ${(e as Error).message}`)
  }
}

function exitWhenStdinCloses(log: (m: string) => void) {
  const exit = () => {
    log('the launcher (npm start) is gone; stopping')
    process.exit(1) // exit handlers stop the embedded S3 server
  }
  process.stdin.once('end', exit)
  process.stdin.once('error', exit)
  process.stdin.resume()
}
