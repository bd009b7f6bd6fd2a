// Which S3 the tests run on: the in-process s3rver (default) or an external S3 service named by
// TEST_S3_ENDPOINT, TEST_S3_ACCESS_KEY_ID, TEST_S3_SECRET_ACCESS_KEY (and optionally TEST_S3_REGION),
// e.g. the Ceph gateway of scripts/ceph-rgw.sh (`npm run test:ceph`). On an external service every
// stack gets its own bucket, emptied and deleted when the stack closes.
import { randomBytes } from 'node:crypto'
import { DeleteBucketCommand } from '@aws-sdk/client-s3'
import type { S3Settings } from '../../lib/config'
import type { S3BlobStore } from '../../lib/storage/s3-blob-store'

export type TestS3Settings = S3Settings & { endpoint: string }

/** The external S3 service of TEST_S3_*, without a bucket (each stack makes its own), or null for s3rver. */
export function externalS3(env: NodeJS.ProcessEnv = process.env): Omit<TestS3Settings, 'bucket'> | null {
  const endpoint = env.TEST_S3_ENDPOINT
  if (!endpoint) return null
  const accessKeyId = env.TEST_S3_ACCESS_KEY_ID
  const secretAccessKey = env.TEST_S3_SECRET_ACCESS_KEY
  if (!accessKeyId || !secretAccessKey) throw new Error('TEST_S3_ENDPOINT is set: TEST_S3_ACCESS_KEY_ID and TEST_S3_SECRET_ACCESS_KEY are required too')
  return { endpoint, accessKeyId, secretAccessKey, region: env.TEST_S3_REGION || 'us-east-1', forcePathStyle: true }
}

export const usesExternalS3 = (env: NodeJS.ProcessEnv = process.env) => !!env.TEST_S3_ENDPOINT

/** A bucket name of its own for one stack (S3 bucket names are global on a service). */
export const randomBucketName = () => `stowage-test-${randomBytes(6).toString('hex')}`

/** The settings of the s3rver a stack starts (its credentials are s3rver's fixed ones). */
export const s3rverSettings = (endpoint: string, bucket = 'layers'): TestS3Settings => ({
  endpoint,
  bucket,
  region: 'us-east-1',
  accessKeyId: 'S3RVER',
  secretAccessKey: 'S3RVER',
  forcePathStyle: true,
})

/** The S3_* variables Stowage reads (lib/config.ts), for child processes and boot() of a test's bucket. */
export function s3EnvOf(s: TestS3Settings): Record<string, string> {
  return {
    S3_ENDPOINT: s.endpoint,
    S3_BUCKET: s.bucket,
    S3_REGION: s.region,
    S3_ACCESS_KEY_ID: s.accessKeyId,
    S3_SECRET_ACCESS_KEY: s.secretAccessKey,
    S3_FORCE_PATH_STYLE: String(s.forcePathStyle),
  }
}

/** In a child process a test started with s3EnvOf(...) in its environment: the bucket's settings. */
export function s3SettingsFromEnv(env: NodeJS.ProcessEnv = process.env): TestS3Settings {
  const need = (name: string) => {
    const v = env[name]
    if (!v) throw new Error(`${name} is not set (the test passes s3EnvOf(stack.s3) to its child processes)`)
    return v
  }
  return {
    endpoint: need('S3_ENDPOINT'),
    bucket: need('S3_BUCKET'),
    region: env.S3_REGION || 'us-east-1',
    accessKeyId: need('S3_ACCESS_KEY_ID'),
    secretAccessKey: need('S3_SECRET_ACCESS_KEY'),
    forcePathStyle: env.S3_FORCE_PATH_STYLE !== 'false',
  }
}

/**
 * Empties a test bucket (its objects and its unfinished multipart uploads, which hold storage too) and
 * deletes it. Loops because a test's background work may still write while the stack closes.
 */
export async function deleteTestBucket(store: S3BlobStore) {
  for (let round = 0; ; round++) {
    const uploads: { key: string; uploadId: string }[] = []
    for await (const u of store.listMultipartUploads('')) uploads.push(u)
    for (const u of uploads) await store.abortMultipart(u.key, u.uploadId).catch(() => {}) // gone already
    const keys: string[] = []
    for await (const o of store.list('')) keys.push(o.key)
    await store.delete(keys)
    try {
      await store.client.send(new DeleteBucketCommand({ Bucket: store.bucket }))
      return
    } catch (e: any) {
      if (e?.name !== 'BucketNotEmpty' || round >= 5) throw new Error(`deleting the test bucket ${store.bucket} failed: ${e?.name ?? ''} ${e?.message ?? e}`)
    }
  }
}
