// The streaming zstd decoder (lib/layers/zstd-stream.ts) on bytes the zstd command-line tool wrote
// (tests/fixtures/zstd/layer.tar.zst: two frames with checksums), checked against the tar rebuilt in JS;
// corrupt, truncated, foreign and oversized-window input must end in a clear stream error.
import fs from 'node:fs'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { describe, it, expect } from 'vitest'
import { createZstdDecompress, zstdFrameHeader, MAX_ZSTD_WINDOW, ZstdStreamError } from '../../lib/layers/zstd-stream'
import { ZSTD_FIXTURE, zstdLayerTar } from '../helpers/zstd-fixture'

const fixture = fs.readFileSync(ZSTD_FIXTURE)

/** Decodes `input` fed in chunks of `chunk` bytes; answers the output chunks and the decoder. */
async function decode(input: Buffer, chunk = 1000) {
  const parts: Buffer[] = []
  for (let i = 0; i < input.length; i += chunk) parts.push(input.subarray(i, i + chunk))
  const z = createZstdDecompress()
  const out: Buffer[] = []
  await pipeline(Readable.from(parts), z, new Writable({ write: (c, _e, cb) => (out.push(c), cb()) }))
  return { out, z }
}

const failure = (p: Promise<unknown>) => p.then(() => null, (e) => e as Error)

describe('zstd stream', () => {
  it('decodes a two-frame stream the zstd CLI wrote to the exact tar, however the input is cut', async () => {
    const tar = zstdLayerTar()
    expect(fixture.length).toBeLessThan(16 * 1024)
    for (const chunk of [1, 7, 1000, fixture.length]) {
      const { out } = await decode(fixture, chunk)
      expect(Buffer.concat(out).equals(tar)).toBe(true)
    }
  }, 60_000)

  it('emits output in many chunks and yields to the event loop between bounded steps', async () => {
    // one 9 KB input chunk holding 6 MiB of output: never decoded in one synchronous go
    const { out, z } = await decode(fixture, fixture.length)
    expect(out.length).toBeGreaterThan(10)
    expect(Math.max(...out.map((c) => c.length))).toBeLessThanOrEqual(128 * 1024)
    expect(z.yields).toBeGreaterThanOrEqual(3)
  })

  it('holds decoding back while the reader is behind (backpressure)', async () => {
    const z = createZstdDecompress()
    z.end(fixture)
    // turns enough to decode the whole 6 MiB (about 25 steps) if nothing held the decoder back
    for (let i = 0; i < 200; i++) await new Promise((r) => setImmediate(r))
    // nobody reads: only about a high-water mark plus one bounded step was decoded
    expect(z.yields).toBeLessThan(5)
    expect(z.readableLength).toBeLessThan(3 * 1024 * 1024)
    let total = 0
    for await (const c of z) total += (c as Buffer).length
    expect(total).toBe(zstdLayerTar().length)
  })

  it('refuses bytes that are not zstd, a reserved block type, a truncated stream and an empty one', async () => {
    expect((await failure(decode(Buffer.from('plain text, not zstd at all'))))?.message).toMatch(/not a zstd stream/)
    const corrupt = Buffer.from(fixture)
    const h = zstdFrameHeader(corrupt)!
    corrupt[h.length] |= 0b110 // first block header: type 3 (reserved)
    const e = await failure(decode(corrupt))
    expect(e).toBeInstanceOf(ZstdStreamError)
    expect(e?.message).toMatch(/corrupt \(reserved block type\)/)
    expect((await failure(decode(fixture.subarray(0, fixture.length - 100))))?.message).toMatch(/ends inside a frame \(truncated\)/)
    expect((await failure(decode(Buffer.alloc(0))))?.message).toMatch(/empty/)
  })

  it('reads the frame header and refuses a window larger than the limit before decoding', async () => {
    expect(zstdFrameHeader(fixture)).toMatchObject({ checksum: true })
    expect(zstdFrameHeader(fixture)!.window).toBeLessThanOrEqual(MAX_ZSTD_WINDOW)
    // magic, descriptor (no single segment, no content size), window descriptor 2^(10+20) = 1 GiB
    const huge = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 20 << 3, 0x01, 0x00, 0x00])
    expect(() => zstdFrameHeader(huge)).toThrow(/asks for a 1024 MiB window; this server decodes frames up to 128 MiB/)
    expect((await failure(decode(huge)))?.message).toMatch(/1024 MiB window/)
    expect(zstdFrameHeader(huge.subarray(0, 5))).toBeNull()
    const withDict = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x01, 0x50, 0x07])
    expect(() => zstdFrameHeader(withDict)).toThrow(/needs dictionary 7/)
  })
})
