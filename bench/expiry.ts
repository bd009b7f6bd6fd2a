// What one expiry run costs (lib/lifecycle/expire.ts): 500 failed uploads with 2 staged objects each,
// 200 recorded multipart uploads of theirs (one part each), and 300 live uploads (kept): wall time and the
// longest event-loop stall while it runs. The object store runs in its own process (the embedded one),
// so the stall measured is Stowage's. `npx tsx bench/expiry.ts`. Not a test: it asserts nothing.
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { randomBytes } from 'node:crypto'
import { runExpiry } from '../lib/lifecycle/expire'
import { registerStaged } from '../lib/registry/staging'
import { recordMultipart } from '../lib/lifecycle/multipart-records'
import { startBenchStack } from './harness'

for (const provider of ['sqlite', 'postgresql'] as const) {
  // the object store in its own process (as the embedded one runs): the delay measured is Stowage's alone
  const stack = await startBenchStack(provider, 'expiry')
  const FAILED = 500, LIVE = 300, MULTI = 200
  // warm-up on a few rows: query plans are compiled once per process, not part of a run's cost
  await stack.db.upload.create({ data: { id: 'warm-up', state: 'failed' } })
  const warmKey = await registerStaged(stack, 'warm-up')
  await stack.store.write(warmKey, Buffer.from('x'))
  const warmId = await stack.store.startMultipart(warmKey)
  await recordMultipart(stack.db, warmId, warmKey, 'warm-up')
  const first = performance.now()
  await runExpiry(stack)
  console.log(`${provider}: first run in the process (2 things): ${(performance.now() - first).toFixed(0)} ms`)
  for (let i = 0; i < FAILED; i++) {
    const id = `failed-${i}`
    await stack.db.upload.create({ data: { id, state: 'failed' } })
    for (let j = 0; j < 2; j++) await stack.store.write(await registerStaged(stack, id), Buffer.from('x'))
  }
  for (let i = 0; i < LIVE; i++) {
    const id = `live-${i}`
    await stack.db.upload.create({ data: { id, state: 'receiving', leaseUntil: new Date(Date.now() + 3600_000) } })
    await registerStaged(stack, id)
  }
  for (let i = 0; i < MULTI; i++) {
    const key = await registerStaged(stack, `failed-${i}`)
    const up = await stack.store.startMultipart(key)
    await recordMultipart(stack.db, up, key, `failed-${i}`)
    await stack.store.writePart(key, up, 1, randomBytes(1024))
  }
  const h = monitorEventLoopDelay({ resolution: 5 })
  h.enable()
  const t0 = performance.now()
  const r = await runExpiry(stack)
  const ms = performance.now() - t0
  h.disable()
  console.log(`${provider}: runExpiry ${ms.toFixed(0)} ms ${JSON.stringify(r)}; event-loop delay max ${(h.max / 1e6).toFixed(1)} ms, p99 ${(h.percentile(99) / 1e6).toFixed(1)} ms; staged left ${await stack.db.stagedObject.count()} (live uploads' ${LIVE})`)
  await stack.close()
}
