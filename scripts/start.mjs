// `npm start`: build the console once if needed, compile the server, then run it (it starts the
// embedded S3 server, migrates the database and listens on PORT, default 3000).
import { spawnSync, spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildServer, outDir } from './build-server.mjs'
import { consoleBuildIsCurrent, recordConsoleBuild, sourceFingerprint } from './console-build.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' }
const bin = (name) => path.join(root, 'node_modules', '.bin', name)

// next.config.js builds into (and the server serves from) STOWAGE_NEXT_DIST_DIR, default .next
const distDir = process.env.STOWAGE_NEXT_DIST_DIR || '.next'
// STOWAGE_REBUILD=1 forces a build; =0 serves whatever build is there (the tests, which build once up front).
const rebuild = process.env.STOWAGE_REBUILD
const hasBuild = fs.existsSync(path.join(root, distDir, 'BUILD_ID'))
if (rebuild === '1' || !hasBuild || (rebuild !== '0' && !consoleBuildIsCurrent(root, distDir))) {
  console.log(hasBuild ? 'Rebuilding the console (its sources changed since the last build)…' : 'Building the console (first start)…')
  const fingerprint = sourceFingerprint(root) // of the sources the build reads now
  const r = spawnSync(bin('next'), ['build'], { cwd: root, env, stdio: 'inherit' })
  if (r.status !== 0) process.exit(r.status ?? 1)
  recordConsoleBuild(root, distDir, fingerprint)
}
// Always recompiled (well under a second), so the server never runs stale code after a `git pull`.
await buildServer()
// The server's stdin is a pipe from this launcher: if the launcher is killed (even by kill -9) the pipe
// closes and the server stops too (STOWAGE_EXIT_WITH_STDIN, lib/boot.ts), instead of running on orphaned.
const child = spawn(process.execPath, [...(process.env.STOWAGE_NODE_OPTIONS ?? '').split(' ').filter(Boolean), path.join(outDir, 'server.mjs')], {
  cwd: root,
  env: { ...env, STOWAGE_EXIT_WITH_STDIN: '1' },
  stdio: ['pipe', 'inherit', 'inherit'],
})
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig))
child.on('exit', (code) => process.exit(code ?? 0))
