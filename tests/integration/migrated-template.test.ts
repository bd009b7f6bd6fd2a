// Test stacks start from a copy of a migrated template (tests/helpers/migrated-template.ts): the copy must
// be what migrating a new database gives (same tables and columns, every migration recorded as applied,
// nothing left for migrateDatabase to do), on SQLite and PostgreSQL.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, it, expect, afterAll } from 'vitest'
import { providers, createDatabase, createMigratedDatabase } from '../helpers/stack'
import { migrateDatabase } from '../../lib/db/migrate'
import { openDatabase, type Db } from '../../lib/db/client'
import type { DbProvider } from '../../lib/db/provider'

/** Every table with its columns, and the names of the migrations recorded as applied. */
async function shape(db: Db, provider: DbProvider) {
  const columns: { t: string; c: string }[] =
    provider === 'sqlite'
      ? await db.$queryRawUnsafe(`SELECT m.name AS t, p.name AS c FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' ORDER BY 1, 2`)
      : await db.$queryRawUnsafe(`SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2`)
  const applied: { n: string }[] = await db.$queryRawUnsafe(`SELECT migration_name AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY 1`)
  return { columns: columns.map((r) => `${r.t}.${r.c}`), applied: applied.map((r) => r.n) }
}

describe.each(providers)('a stack database copied from the migrated template (%s)', (provider) => {
  const dirs: string[] = []
  const drops: (() => Promise<void>)[] = []
  const newDir = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-template-'))
    dirs.push(d)
    return d
  }
  afterAll(async () => {
    for (const drop of drops) await drop()
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
  })

  it('has the tables, columns and applied migrations a migrated new database has, and nothing left to apply', async () => {
    const fresh = await createDatabase(provider, newDir())
    drops.push(fresh.drop)
    const appliedFresh = await migrateDatabase(fresh.url)
    const copy = await createMigratedDatabase(provider, newDir())
    drops.push(copy.drop)

    const [a, b] = [await openDatabase(fresh.url), await openDatabase(copy.url)]
    try {
      const [want, got] = [await shape(a, provider), await shape(b, provider)]
      expect(want.applied).toEqual([...appliedFresh].sort())
      expect(got).toEqual(want)
      expect(got.columns.length).toBeGreaterThan(20)
    } finally {
      await a.$disconnect()
      await b.$disconnect()
    }
    expect(await migrateDatabase(copy.url)).toEqual([])
  })

  it('gives every stack a database of its own', async () => {
    const [x, y] = await Promise.all([createMigratedDatabase(provider, newDir()), createMigratedDatabase(provider, newDir())])
    drops.push(x.drop, y.drop)
    expect(x.url).not.toBe(y.url)
    const [dx, dy] = [await openDatabase(x.url), await openDatabase(y.url)]
    try {
      await dx.repository.create({ data: { name: 'only/in-x' } })
      expect(await dy.repository.count()).toBe(0)
      expect(await dx.repository.count()).toBe(1)
    } finally {
      await dx.$disconnect()
      await dy.$disconnect()
    }
  })
})
