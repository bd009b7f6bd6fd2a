// Runs a database transaction again when a concurrent writer got in its way: two clients pushing the
// same layer or tag at once (the second run finds and reuses the other's row), or garbage collection
// deleting a row this one meant to reuse (the second run creates it anew). See lib/db/retryable.ts.
import type { Services } from '../services'
import { isRetryableConflict } from '../db/retryable'

type Tx = Services['db']
const ATTEMPTS = 5

export async function transaction<T>(services: Services, work: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await services.db.$transaction((tx) => work(tx as Tx), { timeout: 60_000, maxWait: 30_000 })
    } catch (e) {
      if (!isRetryableConflict(e) || attempt >= ATTEMPTS) throw e
    }
  }
}
