// Completes an upload session: assemble the stored bytes into one object, verify size and digest,
// then make the blob visible in the repository. Any failure cancels the session (the client starts
// over, as with the reference registry), so a bad upload never leaves a visible or orphaned object.
import type { Services } from '../services'
import { discardAllStagedOf } from '../registry/staging'
import { OciError } from './errors'
import { forgetMultipart } from '../lifecycle/multipart-records'
import { cancelSession, stagingOwnerOf, type UploadSession } from './upload-session'
import { finishedDigest, forgetRunningDigest } from './upload-digests'
import { commitPushedBlob } from './blob-links'
import { algorithmOf, newHash, type DigestAlgorithm } from './digest-algorithms'
import { verifyObjects, ObjectsNotStoredError } from '../registry/verify-objects'

export async function finishSession(services: Services, session: UploadSession, expectedDigest: string) {
  try {
    const key = await assemble(services, session)
    await verifyPushedObject(services, key, session, expectedDigest)
    // verified in the algorithm the client names now, whatever the session was started with
    const algorithm = algorithmOf(expectedDigest)
    const known = finishedDigest(services, session.id, session.receivedBytes, algorithm)
    const digest = known ?? (await digestOfObject(services, key, algorithm))
    if (digest !== expectedDigest) {
      throw new OciError('DIGEST_INVALID', `the uploaded content has digest ${digest}, not ${expectedDigest}`, {
        detail: { expected: expectedDigest, actual: digest, size: session.receivedBytes },
      })
    }
    // again just before the row is written: reading the blob back for its digest can take long
    if (!known) await verifyPushedObject(services, key, session, expectedDigest)
    await commitPushedBlob(services, { repository: session.repository, digest, size: session.receivedBytes, objectKey: key, sessionId: session.id })
    forgetRunningDigest(services, session.id)
    // the tail objects and, when the blob was stored already, the new object
    await discardAllStagedOf(services, stagingOwnerOf(session.id)).catch(() => {})
  } catch (e) {
    await cancelSession(services, session).catch(() => {})
    throw e
  }
}

/** The assembled object is in the store with every byte received (lib/registry/verify-objects.ts), or the push fails. */
async function verifyPushedObject(services: Services, key: string, session: UploadSession, digest: string) {
  try {
    await verifyObjects(services.store, [{ key, size: session.receivedBytes, digest }])
  } catch (e) {
    if (!(e instanceof ObjectsNotStoredError)) throw e
    throw new OciError('BLOB_UPLOAD_INVALID', `the upload failed on the server: ${e.message}; nothing was stored, upload the blob again`, { status: 500 })
  }
}

/** The object holding all of the session's bytes: its tail when no part was needed, else the multipart result. */
async function assemble(services: Services, s: UploadSession): Promise<string> {
  const { store } = services
  if (!s.multipartId) {
    if (s.tailKey) return s.tailKey
    await store.write(s.objectKey, Buffer.alloc(0)) // an empty blob (registered as staged with the session)
    return s.objectKey
  }
  const parts = s.parts.map((p) => ({ partNumber: p.number, etag: p.etag }))
  if (s.tailKey && s.tailSize > 0) {
    const tail = await readSmall(services, s.tailKey, s.tailSize)
    parts.push({ partNumber: parts.length + 1, etag: await store.writePart(s.objectKey, s.multipartId, parts.length + 1, tail) })
  }
  await store.completeMultipart(s.objectKey, s.multipartId, parts)
  await forgetMultipart(services.db, s.multipartId)
  return s.objectKey
}

async function readSmall(services: Services, key: string, size: number) {
  const out = Buffer.allocUnsafe(size)
  let fill = 0
  for await (const c of await services.store.read(key)) {
    const chunk = c as Buffer
    if (fill + chunk.length > size) throw new Error(`object ${key} is larger than the ${size} bytes recorded`)
    chunk.copy(out, fill)
    fill += chunk.length
  }
  if (fill !== size) throw new Error(`object ${key} has ${fill} bytes, ${size} recorded`)
  return out
}

/**
 * Streams the object back to hash it (bounded memory); needed when this process did not see every byte
 * in `algorithm` (a restart, another instance, or a session started with another algorithm).
 */
async function digestOfObject(services: Services, key: string, algorithm: DigestAlgorithm) {
  const hash = newHash(algorithm)
  for await (const c of await services.store.read(key)) hash.update(c as Buffer)
  return `${algorithm}:${hash.digest('hex')}`
}
