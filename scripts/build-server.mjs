// Compiles the server (server.ts + lib/) and its child-process scripts into plain JavaScript under .stowage/
// (STOWAGE_SERVER_DIR).
// `npm start` runs the compiled files with node: running TypeScript through tsx costs the long-lived
// server a loader thread and transpiler state (~35 MB of its memory) for nothing. Dependencies stay in
// node_modules (not bundled); projectRoot resolves from .stowage/ to the repository root as from lib/.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
// STOWAGE_SERVER_DIR: `npm test` compiles into its own folder (.stowage-test), beside a running `npm start`
export const outDir = path.join(root, process.env.STOWAGE_SERVER_DIR || '.stowage')

export async function buildServer() {
  await build({
    absWorkingDir: root,
    // the server and the scripts it runs in child processes (lib/child-script.ts)
    entryPoints: { server: 'server.ts', migrate: 'scripts/migrate.ts', 'embedded-s3': 'lib/storage/embedded-s3-main.ts' },
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
    // lets lib/child-script.ts run the compiled child scripts instead of tsx
    define: { 'process.env.STOWAGE_COMPILED': '"1"' },
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildServer()
