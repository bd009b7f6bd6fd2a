// Offline migrations: Prisma's wasm schema engine driven through the driver adapters.
// `prisma migrate` would download a native engine, which this deployment target cannot do.
// Each workaround below names the adapter bug it avoids.
import fs from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils'

type AnyEngine = Record<string, (...args: unknown[]) => Promise<any>> & { free(): void }
let engineClass: any

async function loadEngineClass() {
  if (engineClass) return engineClass
  const require = createRequire(import.meta.url)
  const bgPath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg')
  const runtime: any = await import(bgPath)
  const wasm = new WebAssembly.Module(fs.readFileSync(path.join(path.dirname(bgPath), 'schema_engine_bg.wasm')))
  const instance = new WebAssembly.Instance(wasm, { './schema_engine_bg.js': runtime })
  runtime.__wbg_set_wasm(instance.exports)
  ;(instance.exports as any).__wbindgen_start()
  engineClass = runtime.SchemaEngine
  return engineClass
}

export const filters = { externalTables: [], externalEnums: [] }

export function schemaFiles(schemaPath: string) {
  return [{ path: path.resolve(schemaPath), content: fs.readFileSync(schemaPath, 'utf8') }]
}

export function migrationsList(dir: string) {
  const baseDir = path.resolve(dir)
  fs.mkdirSync(baseDir, { recursive: true })
  const lockPath = path.join(baseDir, 'migration_lock.toml')
  const migrationDirectories = fs
    .readdirSync(baseDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const file = path.join(baseDir, name, 'migration.sql')
      return {
        path: name,
        migrationFile: {
          path: 'migration.sql',
          content: fs.existsSync(file)
            ? { tag: 'ok', value: fs.readFileSync(file, 'utf8') }
            : { tag: 'error', value: 'missing migration.sql' },
        },
      }
    })
  return {
    baseDir,
    lockfile: { path: 'migration_lock.toml', content: fs.existsSync(lockPath) ? fs.readFileSync(lockPath, 'utf8') : null },
    shadowDbInitScript: '',
    migrationDirectories,
  }
}

export async function openEngine(adapterFactory: any, schemaPath: string): Promise<AnyEngine> {
  const SchemaEngine = await loadEngineClass()
  const files = schemaFiles(schemaPath)
  const bound = bindMigrationAwareSqlAdapterFactory(adapterFactory)
  // Translate "External error id#N" into the driver's real error, as the Prisma CLI does.
  const explain = (e: any) => {
    const m = /External error id#(\d+)/.exec(String(e?.message))
    const reg: any = m && (bound as any).errorRegistry.consumeError(Number(m[1]))
    if (reg) e.message += '\n  caused by: ' + (reg.error?.stack ?? JSON.stringify(reg.error))
    return e
  }
  let engine: any
  try {
    engine = await SchemaEngine.new({ datamodels: files.map((f) => [f.path, f.content]) }, () => {}, bound)
  } catch (e) {
    throw explain(e)
  }
  return new Proxy(engine, {
    get(target, key) {
      const value = target[key]
      if (typeof value !== 'function') return value
      if (key === 'free') return value.bind(target)
      return async (...args: unknown[]) => {
        try {
          return await value.apply(target, args)
        } catch (e) {
          throw explain(e)
        }
      }
    },
  })
}

// engine.free() leaves the main connection open (SQLite keeps its file lock, pg its idle pool):
// remember every connection handed to the engine so close() can dispose of them.
function trackConnections(open: () => Promise<any>) {
  const opened: any[] = []
  return {
    close: async () => {
      await Promise.allSettled(opened.splice(0).map((a) => a.dispose()))
    },
    connect: async () => {
      const a = await open()
      opened.push(a)
      return a
    },
  }
}

// better-sqlite3 refuses multi-statement strings; the engine replays whole migration scripts on the
// shadow database through executeRaw. Route argument-less executeRaw there to executeScript.
export function withSqliteShadowFix(factory: any) {
  const { close, connect } = trackConnections(() => factory.connect())
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    close,
    connect,
    connectToShadowDb: async () => {
      const adapter = await factory.connectToShadowDb()
      const original = adapter.executeRaw.bind(adapter)
      adapter.executeRaw = async (q: any) => (q.args?.length ? original(q) : (await adapter.executeScript(q.sql), 0))
      return adapter
    },
  }
}

export type PgConfig = { host: string; port: number; user: string; password?: string; database: string }

// Never hand PrismaPg a connectionString here: for the shadow database it spreads its config and sets
// `database`, which node-pg lets a connectionString override (the shadow pool would hit the main DB).
export function pgConfigFromUrl(url: string): PgConfig {
  const u = new URL(url)
  return {
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password) || undefined,
    database: decodeURIComponent(u.pathname.slice(1)),
  }
}

// adapter-pg 7.10 cannot decode PostgreSQL's internal "char" type (OID 18) that the engine's describer
// selects: report it as text. It also drops the shadow database before closing its pool; we manage
// the shadow database ourselves.
export function withPgFixes(factory: any, pgConfig: PgConfig, PrismaPg: any) {
  const patch = (q: any) => {
    if (!q || typeof q.performIO !== 'function') return q
    const performIO = q.performIO.bind(q)
    q.performIO = async (...args: unknown[]) => {
      const r = await performIO(...args)
      for (const f of r?.fields ?? []) if (f.dataTypeID === 18) f.dataTypeID = 25
      return r
    }
    if (typeof q.startTransaction === 'function') {
      const start = q.startTransaction.bind(q)
      q.startTransaction = async (...a: unknown[]) => patch(await start(...a))
    }
    return q
  }
  const { close, connect } = trackConnections(async () => patch(await factory.connect()))
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    close,
    connect,
    connectToShadowDb: async () => {
      const main = await factory.connect()
      const name = `prisma_migrate_shadow_db_${globalThis.crypto.randomUUID().replaceAll('-', '')}`
      await main.executeScript(`CREATE DATABASE "${name}"`)
      const shadow = await new PrismaPg({ ...pgConfig, database: name }).connect()
      const disposeShadow = shadow.dispose.bind(shadow)
      shadow.dispose = async () => {
        try {
          await disposeShadow()
        } finally {
          await main.executeScript(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
          await main.dispose()
        }
      }
      return patch(shadow)
    },
  }
}
