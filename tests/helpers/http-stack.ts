// A real Stowage HTTP server (127.0.0.1, ephemeral port) over a real stack (stack.ts): started by a
// test (startRegistry) or for the tests of one describe block (registryForTests).
import { beforeAll, afterAll } from 'vitest'
import { startStack, type Stack } from './stack'
import { listen, type RunningServer } from '../../lib/http/stowage-server'
import type { Limits } from '../../lib/config'
import type { DbProvider } from '../../lib/db/provider'
import type { Services } from '../../lib/services'

export type Registry = { stack: Stack; server: RunningServer; url: string; host: string; close(): Promise<void> }

export type RegistryOptions = {
  /** limits of the stack (startStack) */
  limits?: Partial<Limits>
  /** the services the server runs on, made from the stack (default: the stack itself) */
  services?: (stack: Stack) => Services
  /** every request's log line */
  log?: (line: string) => void
  /**
   * 'open' (default): callers without credentials act as an administrator, for the tests of features
   * that are not about access control; 'enforced': the real rules (tests/integration/access-*.test.ts).
   */
  access?: 'open' | 'enforced'
}

export async function startRegistry(provider: DbProvider, opts: RegistryOptions | ((stack: Stack) => Services) = {}): Promise<Registry> {
  const o = typeof opts === 'function' ? { services: opts } : opts
  const stack = await startStack(provider, o.limits)
  if (o.access === 'enforced') stack.auth = { ...stack.auth, openAccess: false }
  const server = await listen(o.services ? o.services(stack) : stack, { port: 0, host: '127.0.0.1', ...(o.log ? { log: o.log } : {}) })
  return {
    stack,
    server,
    url: server.url,
    host: `127.0.0.1:${server.port}`,
    async close() {
      await server.close()
      await stack.close()
    },
  }
}

/**
 * In a describe block: a registry (startRegistry) started in beforeAll (`timeout`: the hook's) and
 * closed in afterAll. Its fields are read in the tests (after beforeAll).
 */
export function registryForTests(provider: DbProvider, opts: RegistryOptions & { timeout?: number } = {}): Omit<Registry, 'close'> {
  let reg: Registry | undefined
  beforeAll(async () => {
    reg = await startRegistry(provider, opts)
  }, opts.timeout)
  afterAll(async () => {
    await reg?.close()
  })
  const started = () => {
    if (!reg) throw new Error('the registry starts in beforeAll')
    return reg
  }
  return {
    get stack() {
      return started().stack
    },
    get server() {
      return started().server
    },
    get url() {
      return started().url
    },
    get host() {
      return started().host
    },
  }
}

/** Polls `fn` every 50 ms until it gives a truthy value (returned), or throws after `ms`. */
export async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, what: string, ms = 20_000): Promise<T> {
  const until = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
