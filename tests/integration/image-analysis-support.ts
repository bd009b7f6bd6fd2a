// Generated layers for the image analysis tests (no ../shared needed): an overwrite, a whiteout of a file
// and of a directory, an opaque directory, a hardlink, and two images sharing their first two layers.
// The dive figures below were worked out by hand from dive's rules (lib/layers/efficiency.ts).
import { tarEntry, tarEnd } from '../helpers/layer-tar'

const file = (name: string, size: number, mtime = 1_700_000_000) => tarEntry({ name, mtime }, Buffer.alloc(size, name))
/** a file that starts like a gzip stream: the layer index counts it as already-compressed content */
const gzipFile = (name: string, size: number) => tarEntry({ name, mtime: 1_700_000_000 }, Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08]), Buffer.alloc(size - 3, name)]))
const dir = (name: string) => tarEntry({ name, type: '5', mode: 0o755, mtime: 1_700_000_000 })

export const base = Buffer.concat([
  dir('etc/'),
  file('etc/config', 100),
  file('etc/old', 50),
  dir('var/cache/'),
  file('var/cache/a', 30),
  file('var/cache/b', 20),
  file('usr/bin/tool', 1000),
  tarEntry({ name: 'usr/bin/tool-link', type: '1', linkname: 'usr/bin/tool', mtime: 1_700_000_000 }),
  dir('opt/gone/'),
  file('opt/gone/x', 70),
  tarEnd(),
])

export const middle = Buffer.concat([
  file('etc/config', 120), // overwrite
  tarEntry({ name: 'etc/.wh.old' }), // whiteout of a file
  tarEntry({ name: 'var/cache/.wh..wh..opq' }), // opaque: a and b are gone
  file('var/cache/c', 10),
  tarEntry({ name: 'opt/.wh.gone' }), // whiteout of a directory (70 bytes below it)
  file('app/data.bin', 500),
  tarEnd(),
])

export const top = Buffer.concat([gzipFile('app/data.bin', 400), file('app/new', 5), tarEnd()])

/** the top layer of the second image (v2 = base, middle, other) */
export const other = Buffer.concat([file('app/data.bin', 450), file('app/extra', 60), tarEntry({ name: 'etc/.wh.config' }), tarEnd()])

/** dive's figures for base + middle + top */
export const expectedV1 = {
  efficiency: 1705 / 2375,
  wastedBytes: 1170,
  sizeBytes: 2305,
  userSizeBytes: 1035,
  userWastedPercent: 1170 / 1035,
  inefficiencyCount: 3,
  inefficiencies: [
    { path: 'app/data.bin', count: 2, wastedBytes: 900, layers: [1, 2] },
    { path: 'etc/config', count: 2, wastedBytes: 220, layers: [0, 1] },
    { path: 'etc/old', count: 2, wastedBytes: 50, layers: [0, 1] },
  ],
}
