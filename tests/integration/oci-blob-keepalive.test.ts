// A blob pull lets the object store's response end, so its keep-alive connection is reused by the next
// read. The relay used to destroy the store's stream after the last byte, which closed the socket: every
// blob GET paid a new TCP connection to the store (seen in a CPU profile of the read-load benchmark).
import type { IncomingMessage } from 'node:http'
import { randomBytes } from 'node:crypto'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startRegistry, request, sha256, type Registry } from './oci-support'
import type { BlobStore } from '../../lib/storage/blob-store'

/** The same store, noting the local port of the connection each read's response arrived on. */
function portRecording(store: BlobStore) {
  const ports: number[] = []
  const wrapped: BlobStore = Object.create(store)
  wrapped.read = async (key, range) => {
    const stream = (await store.read(key, range)) as IncomingMessage
    ports.push(stream.socket?.localPort ?? -1)
    return stream
  }
  return { store: wrapped, ports }
}

describe.each(['sqlite', 'postgresql'] as const)('blob reads reuse the object store connection (%s)', (provider) => {
  let reg: Registry
  let ports: number[]
  beforeAll(async () => {
    reg = await startRegistry(provider, (stack) => {
      const recording = portRecording(stack.store)
      ports = recording.ports
      return { ...stack, store: recording.store }
    })
  })
  afterAll(async () => {
    await reg?.close()
  })

  it('serves consecutive full and ranged GETs over one store connection, with the right bytes', async () => {
    // over STOWAGE_BLOB_CACHE_MAX_KB (1 MiB by default): every read goes to the store, none to the blob cache
    const data = randomBytes(1536 * 1024)
    const digest = sha256(data)
    const put = await request(`${reg.url}/v2/keepalive/test/blobs/uploads/?digest=${digest}`, { method: 'POST', body: data })
    expect(put.status).toBe(201)

    ports.length = 0
    for (let i = 0; i < 3; i++) {
      const res = await request(`${reg.url}/v2/keepalive/test/blobs/${digest}`)
      expect(res.status).toBe(200)
      expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(digest)
    }
    const ranged = await request(`${reg.url}/v2/keepalive/test/blobs/${digest}`, { headers: { Range: 'bytes=1000-1999' } })
    expect(ranged.status).toBe(206)
    expect(Buffer.from(await ranged.arrayBuffer()).equals(data.subarray(1000, 2000))).toBe(true)
    const again = await request(`${reg.url}/v2/keepalive/test/blobs/${digest}`)
    expect(sha256(Buffer.from(await again.arrayBuffer()))).toBe(digest)

    expect(ports).toHaveLength(5)
    expect(ports.every((p) => p > 0)).toBe(true)
    // one connection for all five reads (before the fix: five different local ports)
    expect(new Set(ports).size).toBe(1)
  })
})
