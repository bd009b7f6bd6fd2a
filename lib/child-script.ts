// How to run one of our TypeScript entry points in a child node process: the compiled file next to
// the compiled server (scripts/build-server.mjs, what `npm start` runs), else the source through tsx.
import { createRequire } from 'node:module'
import path from 'node:path'
import { projectRoot } from './paths'

export const CHILD_SCRIPTS = { migrate: 'scripts/migrate.ts', 'embedded-s3': 'lib/storage/embedded-s3-main.ts' } as const

/** node arguments that run the script `name` */
export function childScriptArgs(name: keyof typeof CHILD_SCRIPTS): string[] {
  if (process.env.STOWAGE_COMPILED === '1') return [path.join(projectRoot, process.env.STOWAGE_SERVER_DIR || '.stowage', `${name}.mjs`)]
  return [createRequire(import.meta.url).resolve('tsx/cli'), path.join(projectRoot, CHILD_SCRIPTS[name])]
}
