// The team's shared real-world archives (../shared/fixtures): optional, absent on a fresh clone.
// Tests that need them skip with one line when they are missing (see `hasShared`).
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { optionalPart } from './optional'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/**
 * The shared fixtures folder, or null when absent: STOWAGE_FIXTURES if set (a path; missing = absent),
 * else ../shared/fixtures beside the checkout.
 */
export function sharedFixturesDir(env: Record<string, string | undefined> = process.env, checkout = root): string | null {
  const dir = sharedFixturesCandidate(env, checkout)
  return fs.existsSync(path.join(dir, 'real')) ? dir : null
}

function sharedFixturesCandidate(env: Record<string, string | undefined>, checkout: string) {
  return env.STOWAGE_FIXTURES !== undefined ? path.resolve(env.STOWAGE_FIXTURES) : path.resolve(checkout, '../shared/fixtures')
}

const sharedDir = sharedFixturesDir()
export const hasShared = sharedDir !== null
/** hasShared, printing the skip line when absent: for `describe.skipIf(!sharedFixturesPresent())` */
export const sharedFixturesPresent = () =>
  optionalPart('shared-fixtures', hasShared, `${sharedFixturesCandidate(process.env, root)} is not present (set STOWAGE_FIXTURES to use another folder): the tests of the real-world archives`)
/** absolute path of a file in ../shared/fixtures (only inside tests that skip when !hasShared) */
export const sharedFixture = (rel: string) => path.join(sharedDir ?? '/nonexistent/shared/fixtures', rel)
