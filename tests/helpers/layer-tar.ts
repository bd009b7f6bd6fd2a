// Writes tar bytes by hand, for layers that tar libraries refuse to make: raw (non-UTF-8) names, GNU
// long names, PAX records, whiteouts, absolute and ".." paths, truncated bodies. Also streams layers of
// any number of small files (the 100,000-file test, the benchmark) without holding them in memory.
import { Readable } from 'node:stream'

export type TarHeader = {
  name: string | Buffer
  type?: string // '0' file, '1' hardlink, '2' symlink, '5' dir, 'x' PAX, 'L' GNU long name, ...
  size?: number
  mode?: number
  uid?: number
  gid?: number
  mtime?: number
  linkname?: string | Buffer
}

const field = (h: Buffer, at: number, len: number, v: number) => h.write(v.toString(8).padStart(len - 1, '0') + '\0', at, len, 'latin1')

export function tarHeader(o: TarHeader): Buffer {
  const h = Buffer.alloc(512)
  const name = Buffer.isBuffer(o.name) ? o.name : Buffer.from(o.name)
  name.copy(h, 0, 0, Math.min(100, name.length))
  field(h, 100, 8, o.mode ?? 0o644)
  field(h, 108, 8, o.uid ?? 0)
  field(h, 116, 8, o.gid ?? 0)
  field(h, 124, 12, o.size ?? 0)
  field(h, 136, 12, o.mtime ?? 0)
  h.write(o.type ?? '0', 156, 1, 'latin1')
  if (o.linkname) (Buffer.isBuffer(o.linkname) ? o.linkname : Buffer.from(o.linkname)).copy(h, 157, 0, 100)
  h.write('ustar\x0000', 257, 8, 'latin1')
  h.fill(0x20, 148, 156)
  let sum = 0
  for (const b of h) sum += b
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1')
  return h
}

const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512)

/** One entry: header, data, padding. */
export function tarEntry(o: TarHeader, data: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([tarHeader({ ...o, size: o.size ?? data.length }), data, pad(data.length)])
}

/** A PAX extended header for the next entry. */
export function paxEntry(fields: Record<string, string | Buffer>): Buffer {
  const records = Object.entries(fields).map(([k, v]) => {
    const body = Buffer.concat([Buffer.from(` ${k}=`), Buffer.isBuffer(v) ? v : Buffer.from(v), Buffer.from('\n')])
    let len = body.length + 1
    while (String(len).length + body.length !== len) len++
    return Buffer.concat([Buffer.from(String(len)), body])
  })
  return tarEntry({ name: 'PaxHeader', type: 'x' }, Buffer.concat(records))
}

/** A GNU long-name record for the next entry. */
export const gnuLongName = (name: string) => tarEntry({ name: '././@LongLink', type: 'L' }, Buffer.from(name + '\0'))

export const tarEnd = () => Buffer.alloc(1024)

/** The content of file i of a generated layer: small, distinct, reproducible. */
export const generatedFileData = (i: number, size: number) => Buffer.alloc(size, `file ${i};`)

/**
 * A layer of `count` small files in `perDir`-sized directories, streamed: d00000/f0000000.txt …
 * Nothing but the current entry is in memory.
 */
export function manyFilesLayer(count: number, opts: { fileSize?: number; perDir?: number; sizeOf?: (i: number) => number } = {}): Readable {
  const sizeOf = opts.sizeOf ?? (() => opts.fileSize ?? 100)
  const perDir = opts.perDir ?? 1000
  let i = 0
  return Readable.from(
    (function* () {
      while (i < count) {
        const batch: Buffer[] = []
        for (let n = 0; n < 256 && i < count; n++, i++) {
          const dir = `d${String(Math.floor(i / perDir)).padStart(5, '0')}`
          if (i % perDir === 0) batch.push(tarEntry({ name: dir + '/', type: '5', mode: 0o755 }))
          batch.push(tarEntry({ name: `${dir}/f${String(i).padStart(7, '0')}.txt` }, generatedFileData(i, sizeOf(i))))
        }
        yield Buffer.concat(batch)
      }
      yield tarEnd()
    })(),
    { objectMode: false },
  )
}
