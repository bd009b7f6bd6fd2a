// A garbage-collection run in its own process, killed with SIGKILL when it reaches a given step (the
// crash tests, tests/integration/gc-crash.test.ts). Run with tsx; configured by the environment:
//   DATABASE_URL, S3_*          the stack's database and bucket (tests/helpers/stack.ts: s3Env)
//   GC_KILL_AT                  a step of GC_STEPS; the process kills itself as that step begins
// Prints the run's result as JSON when it was not killed.
import { openDatabase } from '../../lib/db/client'
import { openS3Store } from '../../lib/storage/open-store'
import { defaultLimits } from '../../lib/config'
import { runGc, GC_STEPS, type GcStep } from '../../lib/gc/run-gc'
import { s3SettingsFromEnv } from './test-s3'

const killAt = process.env.GC_KILL_AT as GcStep | undefined
if (killAt && !GC_STEPS.includes(killAt)) throw new Error(`GC_KILL_AT must be one of ${GC_STEPS.join(', ')}`)

const db = await openDatabase(process.env.DATABASE_URL!)
const store = await openS3Store(s3SettingsFromEnv())
const result = await runGc(
  { db, store, limits: defaultLimits, lifecycle: { gcGraceSeconds: 0 } },
  {
    dryRun: false,
    trigger: 'manual',
    onStep(step) {
      if (step === killAt) process.kill(process.pid, 'SIGKILL')
    },
  },
)
process.stdout.write(JSON.stringify(result))
await db.$disconnect()
