// A real stack for integration tests: s3rver (in-process, random port, temp dir) and a fresh
// database, SQLite or PostgreSQL, migrated with the project's own migrations.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { openDatabase } from '../../lib/db/client'
import { migrateDatabase } from '../../lib/db/migrate'
import { openS3Store } from '../../lib/storage/open-store'
import { createS3rver } from '../../lib/storage/s3rver'
import { defaultLimits, type Limits } from '../../lib/config'
import type { Services } from '../../lib/services'
import type { S3BlobStore } from '../../lib/storage/s3-blob-store'
import type { DbProvider } from '../../lib/db/provider'
import { sharedFixture } from './shared-fixtures'
import { optionalPart } from './optional'

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
  /** s3rver's directory (its bucket folder and the parts of unfinished multipart uploads are in it) */
  s3Dir: string
  close(): Promise<void>
}

export async function startS3(dir: string) {
  const server = createS3rver(dir, 'layers') // as the embedded S3 server runs it
  const { port } = (await server.run()) as any
  return { server, endpoint: `http://127.0.0.1:${port}` }
}

export async function createDatabase(provider: DbProvider, dir: string): Promise<{ url: string; drop(): Promise<void> }> {
  if (provider === 'sqlite') return { url: `file:${path.join(dir, 'test.db')}`, drop: async () => {} }
  const name = `stowage_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(PG_ADMIN_URL)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
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
  const s3 = await startS3(path.join(dir, 's3'))
  const database = await createDatabase(provider, dir)
  await migrateDatabase(database.url)
  const db = await openDatabase(database.url)
  const store = await openS3Store({
    endpoint: s3.endpoint,
    bucket: 'layers',
    region: 'us-east-1',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    forcePathStyle: true,
  })
  return {
    db,
    store,
    limits: { ...defaultLimits, ...limits },
    // Tests of features that are not about access control: callers without credentials act as an
    // administrator. The access tests turn it off (startRegistry's `access: 'enforced'`).
    auth: { openAccess: true },
    provider,
    databaseUrl: database.url,
    s3Endpoint: s3.endpoint,
    s3Dir: path.join(dir, 's3'),
    async close() {
      await db.$disconnect()
      await s3.server.close()
      await database.drop()
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
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
