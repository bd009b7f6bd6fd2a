// Appends a request body to an upload session with bounded memory, whatever the chunk sizes: bytes
// collect in one part-sized buffer; each full buffer becomes a part of the session's S3 multipart upload;
// what is left at the end (less than a part, S3's 5 MiB minimum) is written as the session's "tail"
// object and merged into the next part when more bytes arrive. Progress is committed to the database
// after every part, so the session survives a restart and reports exactly what is stored.
import type { Readable } from 'node:stream'
import type { Services } from '../services'
import { registerStaged, discardStaged } from '../registry/staging'
import { OciError } from './errors'
import { recordMultipart, forgetMultipart, pushSessionOwner } from '../lifecycle/multipart-records'
import { leaseUntil, stagingOwnerOf, type UploadSession } from './upload-session'
import { takeRunningDigest, keepRunningDigest, forgetRunningDigest } from './upload-digests'

/** Part size: above S3's 5 MiB minimum; 10 GB layers need ~1200 of the 10000 parts S3 allows. */
export const PART_BYTES = 8 * 1024 * 1024

export type AppendLimits = {
  /** the most bytes a blob may have */
  maxBlobBytes: number
  /** bytes this body must have (from Content-Range), or null */
  expectedBytes: number | null
  /** bytes the body is announced to have (Content-Length), to size the buffer of a small chunk */
  sizeHint?: number | null
}

export class SizeLimitExceeded extends OciError {
  constructor(limit: number) {
    super('SIZE_INVALID', `the blob is larger than the limit of ${limit} bytes`, { status: 413, detail: { limit } })
  }
}

/** Streams `body` onto the end of the session. Returns the session as now stored. */
export async function appendToSession(services: Services, session: UploadSession, body: Readable, limits: AppendLimits): Promise<UploadSession> {
  const announced = limits.expectedBytes ?? limits.sizeHint ?? null
  const writer = new SessionWriter(services, session, announced === null ? PART_BYTES : Math.min(PART_BYTES, session.tailSize + announced))
  const running = takeRunningDigest(services, session.id, session.receivedBytes)
  let received = 0
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      received += chunk.length
      if (session.receivedBytes + received > limits.maxBlobBytes) throw new SizeLimitExceeded(limits.maxBlobBytes)
      if (limits.expectedBytes !== null && received > limits.expectedBytes) throw rangeMismatch(limits.expectedBytes, received)
      running?.hash.update(chunk)
      await writer.add(chunk)
    }
    if (limits.expectedBytes !== null && received !== limits.expectedBytes) throw rangeMismatch(limits.expectedBytes, received)
    if (received > 0) await writer.storeTail()
  } catch (e) {
    forgetRunningDigest(services, session.id)
    throw e
  }
  if (running) keepRunningDigest(services, session.id, running, writer.state.receivedBytes)
  return writer.state
}

const rangeMismatch = (expected: number, received: number) =>
  new OciError('BLOB_UPLOAD_INVALID', `the chunk's Content-Range announces ${expected} bytes but ${received > expected ? 'more' : `only ${received}`} arrived`, {
    detail: { expected, received },
  })

class SessionWriter {
  private buffer: Buffer | null = null
  private fill = 0
  state: UploadSession

  constructor(
    private services: Services,
    session: UploadSession,
    private bufferSize: number,
  ) {
    this.state = { ...session, parts: [...session.parts] }
  }

  async add(chunk: Buffer) {
    if (!this.buffer) await this.loadTail()
    for (let offset = 0; offset < chunk.length; ) {
      const n = Math.min(chunk.length - offset, PART_BYTES - this.fill)
      if (this.fill + n > this.buffer!.length) this.grow() // more than announced
      chunk.copy(this.buffer!, this.fill, offset, offset + n)
      this.fill += n
      offset += n
      if (this.fill === PART_BYTES) await this.storePart()
    }
  }

  private grow() {
    const bigger = Buffer.allocUnsafe(PART_BYTES)
    this.buffer!.copy(bigger, 0, 0, this.fill)
    this.buffer = bigger
  }

  /** The part buffer starts with the stored tail: those bytes belong at the front of the next part. */
  private async loadTail() {
    // a part's worth, or less when the chunk is announced small (most chunks of small blobs)
    this.buffer = Buffer.allocUnsafe(Math.max(this.bufferSize, this.state.tailSize))
    this.fill = 0
    const { tailKey, tailSize } = this.state
    if (!tailKey || tailSize === 0) return
    for await (const c of await this.services.store.read(tailKey)) {
      const chunk = c as Buffer
      if (this.fill + chunk.length > tailSize) throw new Error(`the tail object of upload ${this.state.id} is larger than recorded`)
      chunk.copy(this.buffer, this.fill)
      this.fill += chunk.length
    }
    if (this.fill !== tailSize) throw new Error(`the tail object of upload ${this.state.id} has ${this.fill} bytes, ${tailSize} recorded`)
  }

  private async storePart() {
    const { services } = this
    const s = this.state
    if (!s.multipartId) {
      const multipartId = await services.store.startMultipart(s.objectKey)
      // recorded before its first part, so a crash cannot leave parts nobody knows (lib/lifecycle/expire-multipart.ts)
      await recordMultipart(services.db, multipartId, s.objectKey, pushSessionOwner(s.id)).catch(async (e) => {
        await services.store.abortMultipart(s.objectKey, multipartId).catch(() => {})
        throw e
      })
      try {
        await this.commit({ multipartId })
      } catch (e) {
        if (await services.store.abortMultipart(s.objectKey, multipartId).then(() => true, () => false)) await forgetMultipart(services.db, multipartId)
        throw e
      }
      s.multipartId = multipartId
    }
    const number = s.parts.length + 1
    const etag = await services.store.writePart(s.objectKey, s.multipartId, number, this.buffer!.subarray(0, PART_BYTES))
    const oldTail = s.tailKey
    const receivedBytes = s.receivedBytes - s.tailSize + PART_BYTES
    await this.commit({ receivedBytes: BigInt(receivedBytes), tailKey: null, tailSize: 0n }, (tx) =>
      tx.blobUploadPart.upsert({
        where: { sessionId_number: { sessionId: s.id, number } },
        create: { sessionId: s.id, number, etag, size: BigInt(PART_BYTES) },
        update: { etag, size: BigInt(PART_BYTES) },
      }),
    )
    s.parts.push({ number, etag, size: PART_BYTES })
    Object.assign(s, { receivedBytes, tailKey: null, tailSize: 0 })
    this.fill = 0
    if (oldTail) await discardStaged(services, [oldTail])
  }

  /** Stores what is left in the buffer as the new tail (replacing the old one). */
  async storeTail() {
    const { services } = this
    const s = this.state
    const oldTail = s.tailKey
    const receivedBytes = s.receivedBytes - s.tailSize + this.fill
    if (this.fill === 0 && !oldTail) return // ended exactly on a part boundary: committed already
    let tailKey: string | null = null
    if (this.fill > 0) {
      tailKey = await registerStaged(services, stagingOwnerOf(s.id))
      await services.store.write(tailKey, this.buffer!.subarray(0, this.fill))
    }
    await this.commit({ receivedBytes: BigInt(receivedBytes), tailKey, tailSize: BigInt(this.fill) })
    Object.assign(s, { receivedBytes, tailKey, tailSize: this.fill })
    if (oldTail) await discardStaged(services, [oldTail])
  }

  /**
   * Records progress, on the condition that nobody else changed the session since we read it (it may
   * have been cancelled, or our lease may have run out and another request taken over).
   */
  private async commit(data: Record<string, unknown>, also?: (tx: Services['db']) => Promise<unknown>) {
    const s = this.state
    await this.services.db.$transaction(async (tx) => {
      const { count } = await tx.blobUploadSession.updateMany({
        where: { id: s.id, receivedBytes: BigInt(s.receivedBytes), tailKey: s.tailKey },
        data: { ...data, lockedUntil: leaseUntil() },
      })
      if (count !== 1) throw new OciError('BLOB_UPLOAD_UNKNOWN', `upload ${s.id} was cancelled or changed by another request`, { detail: { uuid: s.id } })
      await also?.(tx as Services['db'])
    })
  }
}
