// `npm test`: build the console (browser tests run against the production build), type-check, run every test.
// The build goes to its own folder (STOWAGE_NEXT_DIST_DIR, default .next-test; next.config.js reads it), so a
// `npm start` running from the same checkout keeps serving its own .next untouched.
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { consoleBuildIsCurrent, recordConsoleBuild, sourceFingerprint } from './console-build.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
// The compiled server gets its own folder too (STOWAGE_SERVER_DIR), so a running `npm start` never has its
// child scripts (embedded S3 restarts, migrations) replaced by the tests' compile.
const env = {
  ...process.env,
  NEXT_TELEMETRY_DISABLED: '1',
  STOWAGE_NEXT_DIST_DIR: process.env.STOWAGE_NEXT_DIST_DIR || '.next-test',
  STOWAGE_SERVER_DIR: process.env.STOWAGE_SERVER_DIR || '.stowage-test',
}
const bin = (name) => path.join(root, 'node_modules', '.bin', name)
const run = (cmd, args, extraEnv = {}) => {
  console.log(`\n$ ${path.basename(cmd)} ${args.join(' ')}`)
  const r = spawnSync(cmd, args, { cwd: root, env: { ...env, ...extraEnv }, stdio: 'inherit' })
  if (r.status !== 0) process.exit(r.status ?? 1)
}

// --build-only: just the console build step (.ci/check-test-build-isolation uses it; it always builds)
const buildOnly = process.argv.includes('--build-only')
const vitestArgs = process.argv.slice(2).filter((a) => a !== '--build-only')

// An unchanged checkout reuses its test build (STOWAGE_REBUILD=1 forces one); a fresh clone always builds.
if (buildOnly || process.env.STOWAGE_REBUILD === '1' || !consoleBuildIsCurrent(root, env.STOWAGE_NEXT_DIST_DIR)) {
  console.log(`(console build for the browser tests: ${env.STOWAGE_NEXT_DIST_DIR}/)`)
  const fingerprint = sourceFingerprint(root)
  // Next's own type check is the whole project's `tsc` again (~35 s): tsc runs right after instead, over the
  // route types this build generates too. --build-only keeps Next's check, as `npm run build` does.
  run(bin('next'), ['build'], buildOnly ? {} : { STOWAGE_BUILD_TYPECHECK: '0' })
  recordConsoleBuild(root, env.STOWAGE_NEXT_DIST_DIR, fingerprint)
} else {
  console.log(`(console build for the browser tests: ${env.STOWAGE_NEXT_DIST_DIR}/ is current, reused)`)
}
if (!buildOnly) run(bin('tsc'), ['--noEmit', '-p', '.'])
if (!buildOnly) run(bin('vitest'), ['run', ...vitestArgs])
