// Runs the migrations in a short-lived child process. The wasm schema engine costs ~50 MB of memory
// that a long-running server would otherwise keep for its whole life.
import { execFile } from 'node:child_process'
import { projectRoot } from '../paths'
import { childScriptArgs } from '../child-script'

export function migrateInChildProcess(databaseUrl: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...childScriptArgs('migrate'), 'deploy', '--json'],
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
