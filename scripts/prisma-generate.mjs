// postinstall: derive the PostgreSQL schema from the SQLite one and generate both Prisma clients.
// PRISMA_SCHEMA_ENGINE_BINARY=/bin/false keeps `prisma generate` from downloading an engine (no internet).
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import path from 'node:path'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
execFileSync(process.execPath, ['scripts/gen-pg-schema.mjs'], { cwd: root, stdio: 'inherit' })
const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: '/bin/false', PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' }
const prisma = path.join(root, 'node_modules', 'prisma', 'build', 'index.js')
for (const schema of ['prisma/sqlite/schema.prisma', 'prisma/pg/schema.prisma']) {
  execFileSync(process.execPath, [prisma, 'generate', '--schema', schema], { cwd: root, env, stdio: 'inherit' })
}
