// The running Stowage services, reachable from the console's server components. The Next.js app runs
// in the same process as the API (server.ts) but is bundled separately, so a module-level variable
// would be a different copy in each bundle: the services are published on a process-wide key instead.
import type { Services } from '../services'

const KEY = Symbol.for('stowage.console.services')
type Holder = { [KEY]?: Services }

/** Called once at start-up by the process that serves the console. */
export function publishConsoleServices(services: Services) {
  ;(globalThis as Holder)[KEY] = services
}

/** The services, or null when the console runs without the Stowage server (`next dev` alone, build time). */
export function consoleServices(): Services | null {
  return (globalThis as Holder)[KEY] ?? null
}
