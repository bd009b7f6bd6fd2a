// Migrated databases for test stacks, copied from a template instead of migrated one by one: the schema
// engine takes ~1-2 s a database, a copy ~50 ms. The template is made once (per set of migrations, keyed
// by their contents) with the project's own migrateDatabase, so a copy is exactly what migrating gives.
// Several test processes start together: PostgreSQL serializes them with an advisory lock, SQLite with an
// atomic rename; a template is only ever visible complete (built under a temporary name, then renamed).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createHash, randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { migrateDatabase } from '../../lib/db/migrate'
import { schemaDirOf, type DbProvider } from '../../lib/db/provider'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/** A key that changes whenever a migration of `provider` is added or edited. */
export function migrationsKey(provider: DbProvider): string {
  const dir = path.join(root, schemaDirOf(provider), 'migrations')
  const h = createHash('sha256')
  const visit = (rel: string) => {
    const abs = path.join(dir, rel)
    if (fs.statSync(abs).isDirectory()) for (const name of fs.readdirSync(abs).sort()) visit(path.join(rel, name))
    else h.update(`${rel}\0`).update(fs.readFileSync(abs))
  }
  visit('.')
  return h.digest('hex').slice(0, 16)
}

const sqliteTemplates = new Map<string, Promise<string>>()

/** The path of a migrated SQLite database file to copy (made once per migration set, in the OS temp dir). */
export function sqliteTemplate(): Promise<string> {
  const file = path.join(os.tmpdir(), `stowage-test-sqlite-${migrationsKey('sqlite')}.db`)
  let made = sqliteTemplates.get(file)
  if (!made) {
    made = makeSqliteTemplate(file)
    made.catch(() => sqliteTemplates.delete(file)) // a failure is retried by the next stack
    sqliteTemplates.set(file, made)
  }
  return made
}

async function makeSqliteTemplate(file: string): Promise<string> {
  if (fs.existsSync(file)) return file
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-test-sqlite-template-'))
  try {
    const tmp = path.join(dir, 'template.db')
    await migrateDatabase(`file:${tmp}`)
    // the engine leaves no journal behind; if it ever did, the copy would miss what is in it
    const extra = fs.readdirSync(dir).filter((f) => f !== 'template.db')
    if (extra.length) throw new Error(`migrating the SQLite template left ${extra.join(', ')} beside it`)
    fs.renameSync(tmp, file) // atomic: a concurrent maker's rename just replaces an identical file
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
  return file
}

/** Copies the migrated SQLite template to `file`. */
export async function copySqliteTemplate(file: string): Promise<void> {
  fs.copyFileSync(await sqliteTemplate(), file)
}

const pgTemplates = new Map<string, Promise<string>>()

/** The name of a migrated PostgreSQL template database on the server of `adminUrl` (made once per migration set). */
export function pgTemplate(adminUrl: string): Promise<string> {
  const name = `stowage_test_tpl_${migrationsKey('postgresql')}`
  const cacheKey = `${adminUrl}\0${name}`
  let made = pgTemplates.get(cacheKey)
  if (!made) {
    made = makePgTemplate(adminUrl, name)
    made.catch(() => pgTemplates.delete(cacheKey))
    pgTemplates.set(cacheKey, made)
  }
  return made
}

const LOCK_KEY = 0x5704a9e // one advisory lock for every template maker on the server

async function makePgTemplate(adminUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  try {
    await admin.query('SELECT pg_advisory_lock($1)', [LOCK_KEY])
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])
    if (exists.rowCount) return name
    const building = `${name}_building_${randomBytes(4).toString('hex')}`
    await admin.query(`CREATE DATABASE ${building}`)
    try {
      await migrateDatabase(urlOf(adminUrl, building))
      await renameWhenFree(admin, building, name)
    } catch (e) {
      await admin.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`)
      throw e
    }
    return name
  } finally {
    await admin.end() // ends the session, and so its advisory lock
  }
}

/** The URL of database `name` on the server of `adminUrl`. */
export function urlOf(adminUrl: string, name: string): string {
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return url.toString()
}

// A copy or rename needs the database free of sessions; the migration's pool may still be closing its last one.
const IN_USE = '55006'

async function renameWhenFree(admin: pg.Client, from: string, to: string) {
  await whenFree(() => admin.query(`ALTER DATABASE ${from} RENAME TO ${to}`))
}

/** CREATE DATABASE `name` as a copy of the migrated template. */
export async function createFromPgTemplate(admin: pg.Client, adminUrl: string, name: string): Promise<void> {
  const template = await pgTemplate(adminUrl)
  await whenFree(() => admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`))
}

async function whenFree(op: () => Promise<unknown>) {
  for (let attempt = 0; ; attempt++) {
    try {
      await op()
      return
    } catch (e: any) {
      if (e?.code !== IN_USE || attempt >= 50) throw e
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}
