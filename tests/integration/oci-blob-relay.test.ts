// A blob pull relays the object store's stream to the client without stopping it for every chunk.
// Node's default socket high-water mark (16 KiB) is below one socket read (64 KiB), so with it every
// relayed chunk reported backpressure and paused the S3 stream; the server's sockets queue 256 KiB.
import http from 'node:http'
import { createHash, randomBytes } from 'node:crypto'
import type { Readable } from 'node:stream'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startRegistry, request, sha256, type Registry } from './oci-support'
import type { BlobStore } from '../../lib/storage/blob-store'

const BLOB_BYTES = 8 * 1024 * 1024
const SOCKET_READ_BYTES = 64 * 1024

/** The same store, counting how often a read stream is paused (backpressure from the client side). */
function pauseCounting(store: BlobStore) {
  const counter = { pauses: 0 }
  const wrapped: BlobStore = Object.create(store)
  wrapped.read = async (key, range) => {
    const stream: Readable = await store.read(key, range)
    stream.on('pause', () => counter.pauses++)
    return stream
  }
  return { store: wrapped, counter }
}

/** GET with a client that consumes as fast as it can; resolves with the body's digest and size. */
function pull(url: string): Promise<{ digest: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`GET ${url} answered ${res.statusCode}`))
        const hash = createHash('sha256')
        let bytes = 0
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length
          hash.update(chunk)
        })
        res.on('end', () => resolve({ digest: `sha256:${hash.digest('hex')}`, bytes }))
        res.on('error', reject)
      })
      .on('error', reject)
  })
}

describe('blob relay (sqlite)', () => {
  let reg: Registry
  let counter: { pauses: number }
  beforeAll(async () => {
    reg = await startRegistry('sqlite', (stack) => {
      const counting = pauseCounting(stack.store)
      counter = counting.counter
      return { ...stack, store: counting.store }
    })
  })
  afterAll(async () => {
    await reg?.close()
  })

  it('streams a multi-MiB blob without pausing the object-store stream per chunk', async () => {
    const data = randomBytes(BLOB_BYTES)
    const digest = sha256(data)
    const put = await request(`${reg.url}/v2/relay/test/blobs/uploads/?digest=${digest}`, { method: 'POST', body: data })
    expect(put.status).toBe(201)

    counter.pauses = 0
    const got = await pull(`${reg.url}/v2/relay/test/blobs/${digest}`)
    expect(got).toEqual({ digest, bytes: BLOB_BYTES })
    // 128 socket reads' worth of data; pausing for each of them is the regression this guards against.
    // A slow client may still fill the socket's queue now and then, hence a margin rather than zero.
    expect(counter.pauses).toBeLessThanOrEqual(BLOB_BYTES / SOCKET_READ_BYTES / 8)
  })
})
