// LayerTail (lib/resumable/layer-resume.ts) splits a body resumed inside a layer: the layer's remaining
// bytes, its tar padding (dropped), and the tar stream after it, however the bytes are chunked.
import { describe, it, expect } from 'vitest'
import { Readable } from 'node:stream'
import { randomBytes } from 'node:crypto'
import { LayerTail } from '../../lib/resumable/layer-resume'

async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of stream) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

function chunked(bytes: Buffer, size: number) {
  const out: Buffer[] = []
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size))
  return Readable.from(out, { objectMode: false })
}

describe('LayerTail', () => {
  const layer = randomBytes(100_003)
  const padding = Buffer.alloc(512 - (100_003 % 512))
  const after = randomBytes(5000)
  const body = Buffer.concat([layer, padding, after])

  for (const size of [1, 511, 4096, 65_536, body.length]) {
    it(`gives the layer, drops the padding and passes the rest on (chunks of ${size})`, async () => {
      const tail = new LayerTail(layer.length, padding.length)
      chunked(body, size).pipe(tail)
      // the layer is read first, as the import does; the rest only afterwards
      expect((await drain(tail.layer)).equals(layer)).toBe(true)
      expect((await drain(tail)).equals(after)).toBe(true)
    })
  }

  it('fails the layer when the body ends inside it', async () => {
    const tail = new LayerTail(layer.length, padding.length)
    chunked(layer.subarray(0, 5000), 1000).pipe(tail)
    tail.resume()
    await expect(drain(tail.layer)).rejects.toThrow(/ended inside the layer/)
  })
})
