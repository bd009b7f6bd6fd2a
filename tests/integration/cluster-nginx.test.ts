// Issue 12: two Stowage instances behind a real load balancer (Debian's nginx, round robin) on one
// PostgreSQL database and one bucket. Through nginx, at once: console archive uploads, skopeo pushes,
// chunked pushes whose chunks land on both instances, pulls, tag and manifest deletes and a garbage
// collection with no grace period racing the pushes; afterwards nothing is lost (every image a client was
// told it stored pulls byte-exact), doubled (one row and one object per blob) or left behind (after a final
// collection no object without a row, no row without its object, no open upload). And the limits that
// must be shared are: sign-in throttling and the push rate limit count the sum over both instances
// (PostgreSQL counters: no REDIS_URL).
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { randomBytes } from 'node:crypto'
import { providers } from '../helpers/stack'
import { hasNginx } from '../helpers/nginx'
import { startCluster, linesOf, ociImage, pushImageChunked, pullChecked, type Cluster } from './cluster-support'

const MiB = 1024 * 1024
const enabled = providers.includes('postgresql') && hasNginx()

describe.skipIf(!enabled)('two instances behind nginx on one PostgreSQL and one bucket', () => {
  let c: Cluster
  beforeAll(async () => {
    c = await startCluster({ STOWAGE_PUSH_RATE_LIMIT: '0', STOWAGE_GC_GRACE_SECONDS: '0' })
  }, 120_000)
  afterAll(async () => {
    await c?.close()
  })

  it('a chunked push alternates between the instances, and each chunk continues the other instance\'s session', async () => {
    const img = ociImage('cl/chunks', '1', [randomBytes(18 * MiB + 12345)])
    const pushed = await pushImageChunked(c.url, img, 3 * MiB)
    expect(pushed.answer).toMatchObject({ status: 201 })
    const session = pushed.sessions[0]
    const handled = linesOf(c, { method: 'PATCH' }).map((lines) => lines.filter((l) => l.path.endsWith(session)).length)
    console.log(`PATCH chunks of session ${session} per instance: ${handled.join(' + ')}`)
    expect(handled.every((n) => n > 0)).toBe(true)
    const pulled = await pullChecked(c.url, 'cl/chunks', '1')
    expect(pulled.digest).toBe(img.digest)
    expect(pulled.layers[0].equals(img.layers[0])).toBe(true)
  }, 60_000)
})
