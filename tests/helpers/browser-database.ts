// The database of the server a browser test file starts, per provider: SQLite is the server's own default
// (its data folder), PostgreSQL gets a scratch database that is dropped after the file. Call it before
// browserTests(): the afterAll registered here then runs after the server has stopped.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll } from 'vitest'
import { createDatabase } from './stack'
import type { DbProvider } from '../../lib/db/provider'

export function serverDatabase(provider: DbProvider, prefix: string, settings: Record<string, string> = {}) {
  let dir = ''
  let database = { url: '', drop: async () => {} }
  afterAll(async () => {
    await database.drop()
    if (dir) fs.rmSync(dir, { recursive: true, force: true })
  })
  return {
    /** for browserTests({ env }): the server's environment (settings, plus DATABASE_URL on PostgreSQL) */
    env: async (): Promise<Record<string, string>> => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
      if (provider === 'postgresql') database = await createDatabase(provider, dir)
      return provider === 'postgresql' ? { ...settings, DATABASE_URL: database.url } : settings
    },
    /** the PostgreSQL database's URL ('' on SQLite) */
    get url() {
      return database.url
    },
  }
}
