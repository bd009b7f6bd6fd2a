// Named leases in the database: one holder at a time across every instance (a garbage-collection run,
// the collection of a crashed instance's work). A holder renews its lease while it works; when it dies the
// lease runs out and another instance may take it. Acquiring is one conditional write, so two instances
// racing for a free lease cannot both win.
import { randomUUID } from 'node:crypto'
import type { Db } from './client'
import { isUniqueViolation } from './client'

export type HeldLease = {
  name: string
  holder: string
  /** extends the lease; false when it was lost (expired and taken by another holder) */
  renew(): Promise<boolean>
  release(): Promise<void>
}

/** Takes the lease `name` for `ttlMs` if nobody holds it (or the holder's lease ran out); null otherwise. */
export async function acquireLease(db: Db, name: string, ttlMs: number, holder = randomUUID()): Promise<HeldLease | null> {
  const until = () => new Date(Date.now() + ttlMs)
  const taken = await db.lease.updateMany({ where: { name, until: { lt: new Date() } }, data: { holder, until: until() } })
  if (taken.count === 0) {
    try {
      await db.lease.create({ data: { name, holder, until: until() } })
    } catch (e) {
      if (isUniqueViolation(e)) return null // held by someone else
      throw e
    }
  }
  return {
    name,
    holder,
    async renew() {
      const r = await db.lease.updateMany({ where: { name, holder }, data: { until: until() } })
      return r.count === 1
    },
    async release() {
      await db.lease.deleteMany({ where: { name, holder } })
    },
  }
}

/** Runs `work` under the lease, renewing it every ttl/3; null when the lease is held elsewhere. */
export async function withLease<T>(db: Db, name: string, ttlMs: number, work: (lease: HeldLease) => Promise<T>): Promise<{ value: T } | null> {
  const lease = await acquireLease(db, name, ttlMs)
  if (!lease) return null
  const timer = setInterval(() => void lease.renew().catch(() => {}), Math.max(1000, Math.floor(ttlMs / 3)))
  timer.unref()
  try {
    return { value: await work(lease) }
  } finally {
    clearInterval(timer)
    await lease.release().catch(() => {})
  }
}
