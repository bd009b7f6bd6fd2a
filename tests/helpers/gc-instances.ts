// More Stowage instances on one stack's database and bucket (as several servers behind a load balancer
// share them), and the checks the garbage-collection tests make of the whole registry afterwards.
import { openDatabase } from '../../lib/db/client'
import { namedKeys } from '../../lib/gc/orphans'
import { openS3Store } from '../../lib/storage/open-store'
import { listen, type RunningServer } from '../../lib/http/stowage-server'
import type { Services } from '../../lib/services'
import type { Stack } from './stack'

export type Instance = { services: Services; server: RunningServer; url: string; close(): Promise<void> }

/** The S3 settings of a test stack's bucket (tests/helpers/stack.ts), for another client of it. */
export const s3SettingsOf = (stack: Pick<Stack, 's3'>) => stack.s3

/**
 * A Stowage server with its own services: its own database client (own connection pool) and its own S3
 * client, on the stack's database and bucket; `own: false` serves the stack's own services instead.
 */
export async function startInstance(stack: Stack, lifecycle: Services['lifecycle'], own = true): Promise<Instance> {
  const services: Services = own
    ? { db: await openDatabase(stack.databaseUrl), store: await openS3Store(s3SettingsOf(stack)), limits: stack.limits, auth: stack.auth, lifecycle }
    : { ...stack, lifecycle }
  const server = await listen(services, { port: 0, host: '127.0.0.1' })
  return {
    services,
    server,
    url: server.url,
    async close() {
      await server.close()
      if (own) await services.db.$disconnect()
    },
  }
}

/** Object keys in the bucket that no row names, by GC's own rule (lib/gc/orphans.ts namedKeys). */
export async function unnamedObjects(stack: Pick<Stack, 'db' | 'store'>): Promise<string[]> {
  const keys: string[] = []
  for await (const o of stack.store.list('')) keys.push(o.key)
  const named = await namedKeys(stack.db, keys)
  return keys.filter((k) => !named.has(k))
}
