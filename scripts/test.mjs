// `npm test`: type-check, build the console (browser tests run against the production build), run every test.
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' }
const bin = (name) => path.join(root, 'node_modules', '.bin', name)
const run = (cmd, args) => {
  console.log(`\n$ ${path.basename(cmd)} ${args.join(' ')}`)
  const r = spawnSync(cmd, args, { cwd: root, env, stdio: 'inherit' })
  if (r.status !== 0) process.exit(r.status ?? 1)
}

run(bin('tsc'), ['--noEmit', '-p', '.'])
run(bin('next'), ['build'])
run(bin('vitest'), ['run', ...process.argv.slice(2)])
