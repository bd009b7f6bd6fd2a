// Runs the migrations in a short-lived child process. The wasm schema engine costs ~50 MB of memory
// that a long-running server would otherwise keep for its whole life.
import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import path from 'node:path'
import { projectRoot } from '../paths'

/** The compiled runner next to the compiled server (scripts/build-server.mjs), else the TypeScript through tsx. */
function migrationRunner(): string[] {
  if (process.env.STOWAGE_COMPILED === '1') return [path.join(projectRoot, '.stowage', 'migrate.mjs')]
  return [createRequire(import.meta.url).resolve('tsx/cli'), path.join(projectRoot, 'scripts', 'migrate.ts')]
}

export function migrateInChildProcess(databaseUrl: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...migrationRunner(), 'deploy', '--json'],
      { cwd: projectRoot, env: { ...process.env, DATABASE_URL: databaseUrl }, maxBuffer: 4 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`database migration failed: ${stderr.trim() || err.message}`))
        const last = stdout.trim().split('\n').pop() ?? '[]'
        try {
          resolve(JSON.parse(last))
        } catch {
          reject(new Error(`database migration printed no result: ${stdout.slice(0, 500)}`))
        }
      },
    )
  })
}
