// Optional parts of the test environment (PostgreSQL, Chromium, skopeo, podman, nginx, ../shared/fixtures):
// each is detected at once, without waiting for a timeout, and when absent the tests that need it skip
// with one line saying what is missing. STOWAGE_TEST_REQUIRE (comma-separated names, or "all") turns a
// missing part into an error instead, for CI machines that must run everything.
import fs from 'node:fs'
import { execFileSync } from 'node:child_process'

export type OptionalPart = 'postgresql' | 'chromium' | 'skopeo' | 'podman' | 'redis' | 'nginx' | 'shared-fixtures'

function required(part: OptionalPart, env = process.env) {
  const list = (env.STOWAGE_TEST_REQUIRE ?? '').split(',').map((s) => s.trim())
  return list.includes('all') || list.includes(part)
}

/** Returns `present`; when absent, prints the skip line (or throws when STOWAGE_TEST_REQUIRE names the part). */
export function optionalPart(part: OptionalPart, present: boolean, missing: string): boolean {
  if (present) return true
  if (required(part)) throw new Error(`${missing} (STOWAGE_TEST_REQUIRE=${process.env.STOWAGE_TEST_REQUIRE} requires ${part})`)
  console.log(`skipped: ${missing}`)
  return false
}

/** Whether a command runs (`cmd --version` exits 0); absent commands fail at once with ENOENT. */
export function commandWorks(cmd: string, args = ['--version']): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 10_000 })
    return true
  } catch {
    return false
  }
}

export const hasSkopeo = () => optionalPart('skopeo', commandWorks('skopeo'), 'skopeo is not installed (apt-get install -y skopeo): the tests that run it')

/** Redis for the tests of limits shared across instances: TEST_REDIS_URL, default redis://127.0.0.1:6379. */
export const testRedisUrl = (env = process.env) => env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

export function hasRedis(env = process.env): boolean {
  const url = new URL(testRedisUrl(env))
  return optionalPart('redis', commandWorks('redis-cli', ['-h', url.hostname, '-p', url.port || '6379', 'ping']), `Redis is not reachable at ${url.host}: the tests of limits shared across instances`)
}

export const hasPodman = () => optionalPart('podman', commandWorks('podman'), 'podman is not installed (apt-get install -y podman): the podman tests')

export function chromiumPath(env = process.env) {
  return env.CHROMIUM_PATH ?? '/usr/bin/chromium'
}

export const hasChromium = () =>
  optionalPart('chromium', fs.existsSync(chromiumPath()), `Chromium not found at ${chromiumPath()} (apt-get install -y chromium, or set CHROMIUM_PATH): the browser tests`)
