// usage: tsx scripts/migrate.ts create NAME   (creates migrations for SQLite and PostgreSQL)
//        tsx scripts/migrate.ts deploy        (applies to DATABASE_URL)
import { createMigration, migrateDatabase } from '../lib/db/migrate'

const [cmd, name = 'migration'] = process.argv.slice(2)
if (cmd === 'create') {
  const sqlite = process.env.SQLITE_URL ?? 'file:./data/dev-migrations.db'
  const pg = process.env.PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/stowage_dev'
  console.log('sqlite:', await createMigration(sqlite, name))
  console.log('postgresql:', await createMigration(pg, name))
} else if (cmd === 'deploy') {
  const applied = await migrateDatabase(process.env.DATABASE_URL ?? 'file:./data/stowage.db')
  console.log(process.argv.includes('--json') ? JSON.stringify(applied) : `applied: ${applied.join(', ') || 'nothing'}`)
} else {
  console.error('usage: tsx scripts/migrate.ts create NAME | deploy')
  process.exitCode = 2
}
process.exit()
