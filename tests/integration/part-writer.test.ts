// The streaming multipart writer against a real S3 server (s3rver): bytes stored exactly, parts
// bounded, failures leave no object behind.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import crypto from 'node:crypto'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startS3 } from '../helpers/stack'
import { openS3Store } from '../../lib/storage/open-store'
import type { S3BlobStore } from '../../lib/storage/s3-blob-store'
import { PartBufferPool, writeInParts } from '../../lib/storage/part-writer'
import { s3rverUploadDir } from '../../lib/storage/s3rver'

const MiB = 1024 * 1024
const PART = 5 * MiB // S3's minimum part size

/** A pool that records how many buffers were out at once. */
class CountingPool extends PartBufferPool {
  out = 0
  maxOut = 0
  take(size: number) {
    this.out++
    this.maxOut = Math.max(this.maxOut, this.out)
    return super.take(size)
  }
  give(b: Buffer) {
    this.out--
    super.give(b)
  }
}

/** `total` pseudo-random bytes in chunks of irregular sizes (as a socket delivers them). */
function source(total: number, failAfter?: number): { stream: Readable; sha256: string } {
  const data = crypto.randomBytes(total)
  const sizes = [65536, 1, 300_000, 16384, 7, 1_048_577]
  function* chunks() {
    let at = 0
    for (let i = 0; at < total; i++) {
      if (failAfter !== undefined && at >= failAfter) throw new Error('the client went away')
      const n = Math.min(sizes[i % sizes.length], total - at)
      yield data.subarray(at, at + n)
      at += n
    }
  }
  return { stream: Readable.from(chunks(), { objectMode: false }), sha256: crypto.createHash('sha256').update(data).digest('hex') }
}

async function sha256Of(store: S3BlobStore, key: string) {
  const hash = crypto.createHash('sha256')
  for await (const c of await store.read(key)) hash.update(c as Buffer)
  return hash.digest('hex')
}

let store: S3BlobStore
let s3: Awaited<ReturnType<typeof startS3>>
let dir: string

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-parts-'))
  s3 = await startS3(dir)
  store = await openS3Store({ endpoint: s3.endpoint, bucket: 'layers', region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true })
})
afterAll(async () => {
  await s3?.server.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('writeInParts', () => {
  for (const [label, size] of [
    ['empty', 0],
    ['smaller than a part (one PUT)', 3 * MiB + 5],
    ['exactly two parts', 2 * PART],
    ['several parts and a short last one', 4 * PART + 12_345],
  ] as const) {
    it(`stores ${label} byte for byte`, async () => {
      const pool = new CountingPool()
      const { stream, sha256 } = source(size)
      const key = `t/${label.replace(/\W+/g, '-')}`
      await writeInParts(store, key, stream, { partSize: PART, partsInFlight: 2, pool })
      expect(await store.stat(key)).toBe(size)
      expect(await sha256Of(store, key)).toBe(sha256)
      expect(pool.out).toBe(0) // every buffer came back
      expect(pool.maxOut).toBeLessThanOrEqual(3) // one filling + two being sent, whatever the size
    })
  }

  it('keeps at most partsInFlight + 1 buffers out for a long body', async () => {
    const pool = new CountingPool()
    const { stream } = source(9 * PART + 1)
    await writeInParts(store, 't/long', stream, { partSize: PART, partsInFlight: 1, pool })
    expect(pool.maxOut).toBe(2)
    expect(await store.stat('t/long')).toBe(9 * PART + 1)
  })

  it('aborts the multipart upload when the body fails, leaving no object', async () => {
    const pool = new CountingPool()
    const started: string[] = []
    const aborted: string[] = []
    const recording = Object.assign(Object.create(store), {
      startMultipart: async (key: string) => {
        const id = await store.startMultipart(key)
        started.push(id)
        return id
      },
      abortMultipart: async (key: string, id: string) => {
        aborted.push(id)
        return store.abortMultipart(key, id)
      },
    }) as S3BlobStore
    const { stream } = source(6 * PART, 3 * PART + 10)
    await expect(writeInParts(recording, 't/broken', stream, { partSize: PART, partsInFlight: 2, pool })).rejects.toThrow('the client went away')
    expect(await store.stat('t/broken')).toBeNull()
    expect(started).toHaveLength(1)
    expect(aborted).toEqual(started) // S3 would otherwise keep (and bill) the parts
    expect(fs.existsSync(s3rverUploadDir(dir, 'layers', started[0]))).toBe(false) // and s3rver's part files are gone
    expect(pool.out).toBe(0)
  })

  it('stops when its signal is aborted', async () => {
    const pool = new CountingPool()
    const controller = new AbortController()
    const { stream } = source(6 * PART)
    let seen = 0
    stream.on('data', (c: Buffer) => {
      seen += c.length
      if (seen > 2 * PART) controller.abort()
    })
    await expect(writeInParts(store, 't/aborted', stream, { partSize: PART, partsInFlight: 2, pool, signal: controller.signal })).rejects.toThrow()
    expect(await store.stat('t/aborted')).toBeNull()
  })

  it('s3rver keeps the parts of an unfinished upload where the abort handler looks for them', async () => {
    const id = await store.startMultipart('t/open')
    await store.writePart('t/open', id, 1, Buffer.alloc(1024, 1))
    expect(fs.existsSync(s3rverUploadDir(dir, 'layers', id))).toBe(true)
    await expect(store.abortMultipart('t/other-key', id)).rejects.toThrow(/does not exist/) // an id counts for its own key only
    expect(fs.existsSync(s3rverUploadDir(dir, 'layers', id))).toBe(true)
    await store.abortMultipart('t/open', id)
    expect(fs.existsSync(s3rverUploadDir(dir, 'layers', id))).toBe(false)
    await expect(store.abortMultipart('t/open', id)).rejects.toThrow(/does not exist/)
  })

  it('passes a failed part write on and still cleans up', async () => {
    const pool = new CountingPool()
    const failing = Object.assign(Object.create(store), {
      writePart: async (key: string, id: string, n: number, body: Buffer) => {
        if (n === 2) throw new Error('part 2 was refused')
        return store.writePart(key, id, n, body)
      },
    }) as S3BlobStore
    const { stream } = source(5 * PART)
    await expect(writeInParts(failing, 't/refused', stream, { partSize: PART, partsInFlight: 2, pool })).rejects.toThrow('part 2 was refused')
    expect(await store.stat('t/refused')).toBeNull()
    expect(pool.out).toBe(0)
  })
})

describe('writeInParts: telling the owner about its multipart upload (expiry records it)', () => {
  const partsOnDisk = (id: string) => (fs.existsSync(s3rverUploadDir(dir, 'layers', id)) ? fs.readdirSync(s3rverUploadDir(dir, 'layers', id)).filter((f) => /^\d+$/.test(f)) : [])

  it('says "started" before the first part is stored and "ended" once it is complete', async () => {
    const events: string[] = []
    const { stream, sha256 } = source(3 * PART + 7)
    await writeInParts(store, 't/told', stream, {
      partSize: PART,
      partsInFlight: 2,
      pool: new PartBufferPool(),
      onMultipartStart: async (id) => void events.push(`start ${partsOnDisk(id).length}`),
      onMultipartEnd: async () => void events.push('end'),
    })
    expect(events).toEqual(['start 0', 'end'])
    expect(await sha256Of(store, 't/told')).toBe(sha256)
  })

  it('says nothing for a body smaller than a part (one PUT, no multipart upload)', async () => {
    const events: string[] = []
    await writeInParts(store, 't/small', source(PART - 1).stream, {
      partSize: PART,
      partsInFlight: 2,
      pool: new PartBufferPool(),
      onMultipartStart: async () => void events.push('start'),
      onMultipartEnd: async () => void events.push('end'),
    })
    expect(events).toEqual([])
  })

  it('a failed "started" (the record could not be written) aborts before any part is sent', async () => {
    let id = ''
    await expect(
      writeInParts(store, 't/unrecorded', source(3 * PART).stream, {
        partSize: PART,
        partsInFlight: 2,
        pool: new PartBufferPool(),
        onMultipartStart: async (started) => {
          id = started
          throw new Error('the database is unreachable')
        },
      }),
    ).rejects.toThrow('the database is unreachable')
    expect(id).not.toBe('')
    expect(fs.existsSync(s3rverUploadDir(dir, 'layers', id))).toBe(false)
    expect(await store.stat('t/unrecorded')).toBeNull()
  })

  it('says "ended" after aborting a failed write, not when the abort failed too (the record stays for expiry)', async () => {
    const ended: string[] = []
    const { stream } = source(6 * PART, 3 * PART + 10)
    await expect(
      writeInParts(store, 't/failed', stream, { partSize: PART, partsInFlight: 2, pool: new PartBufferPool(), onMultipartEnd: async (id) => void ended.push(id) }),
    ).rejects.toThrow('the client went away')
    expect(ended).toHaveLength(1)

    const unabortable = Object.assign(Object.create(store), {
      abortMultipart: async () => {
        throw new Error('the store is down')
      },
    }) as S3BlobStore
    const started: string[] = []
    const again = source(6 * PART, 3 * PART + 10)
    await expect(
      writeInParts(unabortable, 't/failed-twice', again.stream, {
        partSize: PART,
        partsInFlight: 2,
        pool: new PartBufferPool(),
        onMultipartStart: async (id) => void started.push(id),
        onMultipartEnd: async (id) => void ended.push(id),
      }),
    ).rejects.toThrow('the client went away')
    expect(ended).toHaveLength(1)
    expect(partsOnDisk(started[0]).length).toBeGreaterThan(0) // what expiry aborts later, by the record
    await store.abortMultipart('t/failed-twice', started[0])
  })
})

describe('PartBufferPool', () => {
  it('reuses returned buffers and keeps at most keepIdle of them', () => {
    const pool = new PartBufferPool(2, 60_000)
    const a = pool.take(16)
    const b = pool.take(16)
    const c = pool.take(16)
    pool.give(a)
    pool.give(b)
    pool.give(c)
    expect(pool.idle).toBe(2)
    expect(pool.take(16)).toBe(a)
  })
})
