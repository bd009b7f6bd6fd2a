// Start-up: validate configuration, start the embedded S3 server when no S3 is configured, migrate
// the database, collect what a crash left behind, start background analysis.
import os from 'node:os'
import fs from 'node:fs'
import { loadConfig, type Config } from './config'
import { startEmbeddedS3, type EmbeddedS3 } from './storage/embedded-s3'
import { openS3Store } from './storage/open-store'
import { migrateInChildProcess } from './db/migrate-process'
import { openDatabase } from './db/client'
import { collectInterruptedUploads } from './registry/staging'
import { sweepUploadSessions } from './oci/upload-sweeper'
import { startBlobAnalysis, type BlobAnalysis } from './analysis/blob-analysis'
import type { Services } from './services'

export type Runtime = { config: Config; services: Services; analysis: BlobAnalysis; embeddedS3: EmbeddedS3 | null; shutdown(): Promise<void> }

export async function boot(env: Record<string, string | undefined> = process.env, log = (m: string) => console.log(m)): Promise<Runtime> {
  const config = loadConfig(env, os.cpus().length)
  fs.mkdirSync(config.dataDir, { recursive: true })
  const embeddedS3 = config.s3.endpoint ? null : await startEmbeddedS3(config.dataDir, config.s3.bucket)
  const endpoint = config.s3.endpoint ?? embeddedS3!.endpoint
  if (embeddedS3) log(`embedded S3 server at ${endpoint} (data in ${config.dataDir}/s3)`)
  const store = await openS3Store({ ...config.s3, endpoint })
  const applied = await migrateInChildProcess(config.databaseUrl)
  if (applied.length) log(`database migrated: ${applied.join(', ')}`)
  const db = await openDatabase(config.databaseUrl)
  const services: Services = { db, store, limits: config.limits, blobRedirectSeconds: config.blobRedirectSeconds }
  const collected = await collectInterruptedUploads(services)
  if (collected) log(`collected ${collected} staged objects of uploads interrupted by the last shutdown`)
  // registry push sessions survive restarts; only expired ones (and objects of vanished ones) go
  const swept = await sweepUploadSessions(services)
  if (swept) log(`collected ${swept} expired registry upload sessions and leftover objects`)
  const analysis = startBlobAnalysis(services, { concurrency: config.analysisConcurrency })
  services.analysis = analysis
  return {
    config,
    services,
    analysis,
    embeddedS3,
    async shutdown() {
      await analysis.stop()
      await db.$disconnect()
      await embeddedS3?.stop()
    },
  }
}
