// A real stack for integration tests: s3rver (in-process, random port, temp dir) and a fresh
// database, SQLite or PostgreSQL, migrated with the project's own migrations (a copy of a template they
// were applied to once: migrated-template.ts). With TEST_S3_* set
// (tests/helpers/test-s3.ts, `npm run test:ceph`) the stack uses that S3 service instead of s3rver,
// in a bucket of its own that is emptied and deleted at close.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { openDatabase } from '../../lib/db/client'
import { openS3Store } from '../../lib/storage/open-store'
import { createS3rver } from '../../lib/storage/s3rver'
import { defaultLimits, type Limits } from '../../lib/config'
import type { Services } from '../../lib/services'
import type { S3BlobStore } from '../../lib/storage/s3-blob-store'
import type { DbProvider } from '../../lib/db/provider'
import { sharedFixture } from './shared-fixtures'
import { optionalPart } from './optional'
import { copySqliteTemplate, createFromPgTemplate, urlOf } from './migrated-template'
import { externalS3, randomBucketName, s3rverSettings, s3EnvOf, deleteTestBucket, type TestS3Settings } from './test-s3'

export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/test'
/**
 * A file of ../shared/fixtures (absent on a fresh clone). Kept for older tests; prefer the generated
 * fixtures of tests/helpers/fixtures.ts, and guard shared ones with `hasShared` from there.
 */
export const fixture = sharedFixture

export type Stack = Services & {
  store: S3BlobStore
  provider: DbProvider
  databaseUrl: string
  s3Endpoint: string
  /** the bucket's settings, for another client of it (another instance, a child process: s3EnvOf) */
  s3: TestS3Settings
  /** S3_* variables of the bucket (s3EnvOf), for child processes and boot() */
  s3Env: Record<string, string>
  /**
   * s3rver's directory (its bucket folder and the parts of unfinished multipart uploads are in it);
   * null on an external S3 service (TEST_S3_*): tests that look into it skip there (requireS3Dir)
   */
  s3Dir: string | null
  close(): Promise<void>
}

export async function startS3(dir: string) {
  const server = createS3rver(dir, 'layers') // as the embedded S3 server runs it
  const { port } = (await server.run()) as any
  return { server, endpoint: `http://127.0.0.1:${port}` }
}

/** A fresh, empty database (what a first start migrates): SQLite in `dir`, or a new PostgreSQL database. */
export async function createDatabase(provider: DbProvider, dir: string): Promise<{ url: string; drop(): Promise<void> }> {
  return newDatabase(provider, dir, false)
}

/** A fresh database with every migration applied: a copy of a template that migrateDatabase made (migrated-template.ts). */
export async function createMigratedDatabase(provider: DbProvider, dir: string): Promise<{ url: string; drop(): Promise<void> }> {
  return newDatabase(provider, dir, true)
}

async function newDatabase(provider: DbProvider, dir: string, migrated: boolean): Promise<{ url: string; drop(): Promise<void> }> {
  if (provider === 'sqlite') {
    const file = path.join(dir, 'test.db')
    if (migrated) await copySqliteTemplate(file)
    return { url: `file:${file}`, drop: async () => {} }
  }
  const name = `stowage_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL })
  await admin.connect()
  try {
    if (migrated) await createFromPgTemplate(admin, PG_ADMIN_URL, name)
    else await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  return {
    url: urlOf(PG_ADMIN_URL, name),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL })
      await c.connect()
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await c.end()
    },
  }
}

export async function startStack(provider: DbProvider, limits: Partial<Limits> = {}): Promise<Stack> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-test-'))
  const external = externalS3()
  const s3 = external ? null : await startS3(path.join(dir, 's3'))
  const s3Settings: TestS3Settings = external ? { ...external, bucket: randomBucketName() } : s3rverSettings(s3!.endpoint)
  const database = await createMigratedDatabase(provider, dir)
  const db = await openDatabase(database.url)
  const store = await openS3Store(s3Settings) // creates the bucket when it is not there
  return {
    db,
    store,
    limits: { ...defaultLimits, ...limits },
    // Tests of features that are not about access control: callers without credentials act as an
    // administrator. The access tests turn it off (startRegistry's `access: 'enforced'`).
    auth: { openAccess: true },
    provider,
    databaseUrl: database.url,
    s3Endpoint: s3Settings.endpoint,
    s3: s3Settings,
    s3Env: s3EnvOf(s3Settings),
    s3Dir: s3 ? path.join(dir, 's3') : null,
    async close() {
      await db.$disconnect()
      if (s3) await s3.server.close()
      else await deleteTestBucket(store)
      await database.drop()
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

/**
 * s3rver's directory of a stack, for the tests that look into it; on an external S3 service (TEST_S3_*)
 * null, and the test prints one line saying why it skips (call it as `if (!requireS3Dir(stack, what)) return`).
 */
export function requireS3Dir(stack: Pick<Stack, 's3Dir'>, what: string): string | null {
  if (stack.s3Dir) return stack.s3Dir
  console.log(`skipped on external S3 (TEST_S3_ENDPOINT): ${what} looks into the embedded s3rver's folder`)
  return null
}

/** Everything visible in the database and the bucket, to prove a failed upload changed nothing. */
export async function snapshot(stack: Stack) {
  const keys: string[] = []
  for await (const o of stack.store.list('')) keys.push(o.key)
  const db = stack.db
  return {
    objects: keys.sort(),
    repositories: await db.repository.findMany({ orderBy: { name: 'asc' } }),
    tags: await db.tag.findMany({ orderBy: [{ repositoryId: 'asc' }, { name: 'asc' }] }),
    manifests: await db.manifest.count(),
    blobs: await db.blob.findMany({ orderBy: { digest: 'asc' }, select: { digest: true, objectKey: true } }),
    staged: await db.stagedObject.count(),
  }
}

/** Whether the PostgreSQL server answers (a refused or unresolvable address fails at once; 3 s at most). */
async function postgresReachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.end()
    return true
  } catch {
    return false
  }
}

const pgShown = (() => {
  try {
    const u = new URL(PG_ADMIN_URL)
    return `${u.hostname}:${u.port || 5432}`
  } catch {
    return 'TEST_PG_URL'
  }
})()

/** SQLite always; PostgreSQL when its server answers (else the PostgreSQL variants skip with one line). */
export const providers: DbProvider[] = optionalPart(
  'postgresql',
  await postgresReachable(PG_ADMIN_URL),
  `PostgreSQL is not reachable at ${pgShown} (start it, or set TEST_PG_URL): the PostgreSQL variants of this file`,
)
  ? ['sqlite', 'postgresql']
  : ['sqlite']
