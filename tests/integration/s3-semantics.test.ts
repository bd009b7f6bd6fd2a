// What a real S3 service does that the embedded s3rver never does, and how Stowage copes. Runs where the
// stack is an external S3 service (TEST_S3_*: `npm run test:ceph` runs it on Ceph RGW); on s3rver it skips
// with one line, as s3rver has no bucket policies.
//  - DeleteObjects answers 200 and lists the keys it did not delete in `Errors` (here: a bucket policy
//    denies deleting some keys): the store's delete throws naming them (a missing key is no error), and
//    garbage collection keeps the tombstone of an object it could not delete, so a later run deletes it.
import { randomBytes } from 'node:crypto'
import { DeleteBucketPolicyCommand, PutBucketPolicyCommand } from '@aws-sdk/client-s3'
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest'
import { startStack, providers, type Stack } from '../helpers/stack'
import { usesExternalS3 } from '../helpers/test-s3'
import { ObjectsNotDeletedError } from '../../lib/storage/delete-result'
import { runGc } from '../../lib/gc/run-gc'

const external = usesExternalS3()
if (!external) console.log('skipped: s3-semantics needs an external S3 service with bucket policies (TEST_S3_ENDPOINT; npm run test:ceph)')

describe.skipIf(!external).each(providers)('real S3 semantics (%s)', (provider) => {
  let stack: Stack
  beforeAll(async () => {
    stack = await startStack(provider)
  }, 120_000)
  afterAll(async () => {
    await stack?.close()
  })
  afterEach(async () => {
    await stack.store.client.send(new DeleteBucketPolicyCommand({ Bucket: stack.store.bucket }))
  })

  /** A bucket policy that refuses to delete keys under `prefix`, as object locks or IAM rules can. */
  const denyDeleting = (prefix: string) =>
    stack.store.client.send(
      new PutBucketPolicyCommand({
        Bucket: stack.store.bucket,
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Deny', Principal: '*', Action: ['s3:DeleteObject'], Resource: [`arn:aws:s3:::${stack.store.bucket}/${prefix}*`] }],
        }),
      }),
    )

  it('delete throws naming the keys the store refused in a 200 answer; it deletes the others, and a missing key is no error', async () => {
    const id = randomBytes(4).toString('hex')
    const [kept, freed, missing] = [`blobs/denied-${id}`, `blobs/free-${id}`, `blobs/never-${id}`]
    await stack.store.write(kept, Buffer.from('kept'))
    await stack.store.write(freed, Buffer.from('freed'))
    await denyDeleting('blobs/denied-')

    const attempt = stack.store.delete([kept, freed, missing])
    await expect(attempt).rejects.toBeInstanceOf(ObjectsNotDeletedError)
    await expect(attempt).rejects.toMatchObject({ failures: [{ key: kept, code: 'AccessDenied' }] })
    await expect(attempt).rejects.toThrow(`the object store did not delete 1 object(s): ${kept} (AccessDenied`)
    expect(await stack.store.stat(kept)).toBe(4)
    expect(await stack.store.stat(freed)).toBeNull()

    await stack.store.client.send(new DeleteBucketPolicyCommand({ Bucket: stack.store.bucket }))
    await stack.store.delete([kept, missing])
    expect(await stack.store.stat(kept)).toBeNull()
  })

  it('garbage collection keeps the tombstone of an object the store refused to delete, and a later run deletes it', async () => {
    const key = `blobs/denied-gc-${randomBytes(4).toString('hex')}`
    await stack.store.write(key, randomBytes(1234))
    await stack.db.objectTombstone.create({ data: { objectKey: key, size: 1234n } })
    await denyDeleting('blobs/denied-gc-')
    const services = { ...stack, lifecycle: { gcGraceSeconds: 0 } }

    const refused = await runGc(services, { dryRun: false, trigger: 'manual' })
    expect(refused.state).toBe('failed')
    expect(refused.errors.join('\n')).toContain(`${key} (AccessDenied`)
    expect(await stack.store.stat(key)).toBe(1234)
    expect(await stack.db.objectTombstone.findUnique({ where: { objectKey: key } })).not.toBeNull()

    await stack.store.client.send(new DeleteBucketPolicyCommand({ Bucket: stack.store.bucket }))
    const later = await runGc(services, { dryRun: false, trigger: 'manual' })
    expect(later).toMatchObject({ state: 'done', errors: [] })
    expect(await stack.store.stat(key)).toBeNull()
    expect(await stack.db.objectTombstone.findUnique({ where: { objectKey: key } })).toBeNull()
  })
})
