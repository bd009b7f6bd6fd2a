// Runs a database transaction again when a concurrent writer created the same row first (two clients
// pushing the same layer or tag at once); the second run then finds and reuses that row.
import type { Services } from '../services'
import { isUniqueViolation } from '../db/client'

type Tx = Services['db']
const ATTEMPTS = 5

export async function transaction<T>(services: Services, work: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await services.db.$transaction((tx) => work(tx as Tx), { timeout: 60_000, maxWait: 30_000 })
    } catch (e) {
      const retryable = isUniqueViolation(e) || (e as { code?: string })?.code === 'P2034'
      if (!retryable || attempt >= ATTEMPTS) throw e
    }
  }
}
