// A Stowage instance in a child process that imports a generated archive and stops sending it in the
// middle of a big layer, so a test can kill it (-9) while a multipart upload has parts in the store.
// Started by tests/integration/expiry.test.ts through tsx; settings from the environment:
//   IMPORT_CHILD_DATABASE_URL, S3_* (the stack's bucket: s3EnvOf), IMPORT_CHILD_LEASE_SECONDS,
//   IMPORT_CHILD_LAYER_BYTES (announced size of the layer), IMPORT_CHILD_SEND_BYTES (sent, then it hangs).
import { PassThrough } from 'node:stream'
import { randomBytes } from 'node:crypto'
import { openDatabase } from '../../lib/db/client'
import { openS3Store } from '../../lib/storage/open-store'
import { defaultLimits } from '../../lib/config'
import { importArchive } from '../../lib/archive/import-archive'
import { tarHeader } from '../integration/store-outage-support'
import { s3SettingsFromEnv } from './test-s3'

const env = (name: string) => {
  const v = process.env[name]
  if (!v) throw new Error(`${name} is not set`)
  return v
}

const db = await openDatabase(env('IMPORT_CHILD_DATABASE_URL'))
const store = await openS3Store(s3SettingsFromEnv())
const services = { db, store, limits: defaultLimits, lifecycle: { uploadLeaseSeconds: Number(env('IMPORT_CHILD_LEASE_SECONDS')) } }

const body = new PassThrough()
importArchive(services, { body, filename: 'generated.tar' }).then(
  () => console.log('unexpected: the import finished'),
  (e) => console.log(`import failed: ${(e as Error).message}`),
)
body.write(tarHeader('c'.repeat(64) + '/layer.tar', Number(env('IMPORT_CHILD_LAYER_BYTES'))))
const piece = randomBytes(1024 * 1024)
for (let sent = 0, total = Number(env('IMPORT_CHILD_SEND_BYTES')); sent < total; sent += piece.length) {
  if (!body.write(piece)) await new Promise((r) => body.once('drain', r))
}
console.log('sent')
setInterval(() => {}, 60_000) // hangs here with the layer half sent, until killed
