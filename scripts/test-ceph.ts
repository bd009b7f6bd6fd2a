// `npm run test:ceph [-- vitest args or test files]`: the integration tests that exercise storage, run on a
// real distributed object store: a one-node Ceph cluster with its S3 gateway (scripts/ceph-rgw.sh), instead
// of the embedded s3rver. Starts Ceph (or reuses one already running, which it then leaves running), runs
// vitest with TEST_S3_* set (tests/helpers/test-s3.ts: a bucket per test stack), stops what it started.
// Exit code: vitest's. Without the Ceph packages it skips with one line, unless STOWAGE_TEST_REQUIRE names
// `ceph` (or `all`), as CI does: then a missing Ceph fails.
import { spawn, spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ListBucketsCommand } from '@aws-sdk/client-s3'
import { createS3Client } from '../lib/storage/s3-blob-store'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const script = path.join(root, 'scripts', 'ceph-rgw.sh')

/** The files that store, read, collect or expire objects: the parts of Stowage real S3 semantics can break. */
export const CEPH_TEST_FILES = [
  'tests/integration/s3-semantics.test.ts',
  'tests/integration/verify-objects.test.ts',
  'tests/integration/import-fixtures.test.ts',
  'tests/integration/upload-http.test.ts',
  'tests/integration/upload-rejections.test.ts',
  'tests/integration/oci-api.test.ts',
  'tests/integration/oci-conformance.test.ts',
  'tests/integration/oci-restart.test.ts',
  'tests/integration/oci-blob-delete.test.ts',
  'tests/integration/oci-redirect.test.ts',
  'tests/integration/gc-engine.test.ts',
  'tests/integration/gc-writers.test.ts',
  'tests/integration/expiry.test.ts',
  'tests/integration/expiry-instances.test.ts',
  'tests/integration/leftover-sweep.test.ts',
  'tests/integration/gc-batches.test.ts',
  'tests/integration/push-session-sweep.test.ts',
  'tests/integration/oci-read-cache.test.ts',
  'tests/integration/resumable-in-layer.test.ts',
  'tests/integration/layer-index-zstd.test.ts',
  'tests/integration/image-analysis.test.ts',
  'tests/integration/archives.test.ts',
  // two instances behind nginx on one PostgreSQL and one bucket (issue 12)
  'tests/integration/cluster-nginx.test.ts',
]

const required = () => (process.env.STOWAGE_TEST_REQUIRE ?? '').split(',').some((s) => ['ceph', 'all'].includes(s.trim()))
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0

function parseExports(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of text.matchAll(/^export ([A-Z0-9_]+)=(.*)$/gm)) out[m[1]] = m[2]
  return out
}

const missing = ['ceph-mon', 'ceph-osd', 'radosgw', 'radosgw-admin', 'ceph'].filter((c) => !has(c))
if (missing.length) {
  const line = `Ceph is not installed (${missing.join(', ')} missing; apt-get install -y radosgw ceph-mon ceph-osd ceph-common): the Ceph test run`
  if (required()) {
    console.error(`${line} (STOWAGE_TEST_REQUIRE=${process.env.STOWAGE_TEST_REQUIRE} requires ceph)`)
    process.exit(1)
  }
  console.log(`skipped: ${line}`)
  process.exit(0)
}

// A cluster somebody already runs (a developer, a benchmark) is used and left running; ours is stopped.
const running = spawnSync(script, ['env'], { encoding: 'utf8' })
const ours = running.status !== 0
const started = ours ? spawnSync(script, ['start'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }) : running
if (started.status !== 0) {
  console.error('scripts/ceph-rgw.sh start failed')
  process.exit(1)
}
const s3 = parseExports(started.stdout)
const stopCeph = () => {
  if (ours) spawnSync(script, ['stop'], { stdio: 'inherit' })
}

const env: NodeJS.ProcessEnv = {
  ...process.env,
  TEST_S3_ENDPOINT: s3.S3_ENDPOINT,
  TEST_S3_ACCESS_KEY_ID: s3.S3_ACCESS_KEY_ID,
  TEST_S3_SECRET_ACCESS_KEY: s3.S3_SECRET_ACCESS_KEY,
  TEST_S3_REGION: s3.S3_REGION,
}
// Each test stack names its own bucket; a Stowage a test boots must not pick up the shell's settings.
for (const k of ['S3_ENDPOINT', 'S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'S3_REGION']) delete env[k]

const args = process.argv.slice(2)
const files = args.some((a) => !a.startsWith('-')) ? [] : CEPH_TEST_FILES
console.log(`$ vitest run ${[...files, ...args].join(' ')}   (on Ceph RGW at ${s3.S3_ENDPOINT})`)
const vitest = spawn(path.join(root, 'node_modules', '.bin', 'vitest'), ['run', ...files, ...args], { cwd: root, env, stdio: 'inherit' })
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => vitest.kill(sig))
const code: number = await new Promise((resolve) => vitest.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))))

// Every stack deletes its bucket at close: one left over means a stack was not closed (or its close failed).
try {
  const client = createS3Client({ endpoint: s3.S3_ENDPOINT, bucket: 'x', region: s3.S3_REGION, accessKeyId: s3.S3_ACCESS_KEY_ID, secretAccessKey: s3.S3_SECRET_ACCESS_KEY, forcePathStyle: true })
  const left = ((await client.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name).filter((n) => n?.startsWith('stowage-test-'))
  if (left.length) console.log(`warning: ${left.length} test bucket(s) left on Ceph (a test stack was not closed): ${left.slice(0, 5).join(', ')}`)
} catch (e) {
  console.log(`warning: could not list the buckets left on Ceph: ${(e as Error).message}`)
}
stopCeph()
process.exit(code)
