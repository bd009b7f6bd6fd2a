// A process that takes one job and dies holding it: `tsx tests/helpers/job-child.ts DATABASE_URL`.
// It prints "started <id>" when its handler runs; the test then kills it with SIGKILL (no cleanup runs).
import { openDatabase } from '../../lib/db/client'
import { openJobQueue } from '../../lib/jobs/open-queue'

const url = process.argv[2]
const db = await openDatabase(url)
const queue = openJobQueue(url, db, { local: { leaseSeconds: 2, pollMs: 50 }, pgBoss: { pollingIntervalSeconds: 0.5 }, log: () => {} })
await queue.work('expiry.run', { concurrency: 1 }, async (_data, job) => {
  process.stdout.write(`started ${job.id}\n`)
  await new Promise(() => {}) // never ends: the process is killed while it runs
})
await queue.start()
process.stdout.write('ready\n')
