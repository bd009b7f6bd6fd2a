// Pure helpers of the file browser and the compare page: `ls -l` mode strings, breadcrumb steps, the
// compare headline sentence, and the compare route next to the existing ones.
import { describe, it, expect } from 'vitest'
import { modeString, pathSteps } from '../../components/layers/file-types'
import { compareHeadline } from '../../components/compare/compare-types'
import { parseRepositoryPath, compareHref, api } from '../../components/routes'

describe('modeString', () => {
  it('writes modes as ls -l does', () => {
    expect(modeString('file', 0o644)).toBe('-rw-r--r--')
    expect(modeString('dir', 0o755)).toBe('drwxr-xr-x')
    expect(modeString('symlink', 0o777)).toBe('lrwxrwxrwx')
    expect(modeString('file', 0o4755)).toBe('-rwsr-xr-x')
    expect(modeString('file', 0o2644)).toBe('-rw-r-Sr--')
    expect(modeString('dir', 0o1777)).toBe('drwxrwxrwt')
    expect(modeString('char', 0o600)).toBe('crw-------')
    expect(modeString('fifo', 0)).toBe('p---------')
  })
})

describe('pathSteps', () => {
  it('splits a path into its parent chain', () => {
    expect(pathSteps('')).toEqual([])
    expect(pathSteps('/usr/lib/')).toEqual([
      { name: 'usr', path: 'usr' },
      { name: 'lib', path: 'usr/lib' },
    ])
  })
})

describe('compareHeadline', () => {
  const c = (u: number, z: number | null, dirs: { path: string; delta: number }[] = []) => ({
    to: { reference: 'v2', digest: 'sha256:x' },
    sizes: { uncompressed: { from: 0, to: u, delta: u }, compressed: z === null ? null : { from: 0, to: z, delta: z } },
    biggestDirectories: dirs,
  })
  it('names the sizes and the directory that made the difference', () => {
    expect(compareHeadline(c(48_000_000, 12_000_000, [{ path: 'usr/lib/python3', delta: 45_000_000 }]))).toBe('v2 is 48.0 MB bigger uncompressed, 12.0 MB compressed, because of /usr/lib/python3 (+45.0 MB).')
    expect(compareHeadline(c(-2_000, null, [{ path: 'tmp', delta: 500 }, { path: 'var/cache', delta: -2_500 }]))).toBe('v2 is 2.00 kB smaller uncompressed, because of /var/cache (−2.50 kB).')
    expect(compareHeadline(c(1_000, -10))).toBe('v2 is 1.00 kB bigger uncompressed, 10 B smaller compressed.')
    expect(compareHeadline(c(0, 0))).toBe('v2 is the same size uncompressed, the same compressed.')
    // the deepest folder that holds most of the change
    const nested = [
      { path: 'usr', delta: 50_000 },
      { path: 'usr/lib', delta: 49_000 },
      { path: 'usr/lib/py', delta: 45_000 },
      { path: 'usr/lib/py/x', delta: 10_000 },
    ]
    expect(compareHeadline(c(50_000, 20_000, nested))).toBe('v2 is 50.0 kB bigger uncompressed, 20.0 kB compressed, because of /usr/lib/py (+45.0 kB).')
    expect(compareHeadline({ ...c(0, null), sizes: { uncompressed: { from: null, to: 5, delta: null }, compressed: null } })).toBe('v2: its sizes are still being measured.')
  })
})

describe('compare route', () => {
  it('parses /-/compare and keeps the other routes', () => {
    expect(parseRepositoryPath(['team', 'app', '-', 'compare'])).toEqual({ repository: 'team/app', tag: null, compare: true })
    expect(parseRepositoryPath(['team', 'app', '-', 'tags', 'v1'])).toEqual({ repository: 'team/app', tag: 'v1' })
    expect(parseRepositoryPath(['team', 'app', '-', 'compare', 'x'])).toBeNull()
    expect(parseRepositoryPath(['-', 'compare'])).toBeNull()
    expect(compareHref('team/app', 'v1', 'v2')).toBe('/repositories/team/app/-/compare?from=v1&to=v2')
  })
  it('encodes file paths per segment', () => {
    expect(api.layerFile('sha256:ab', 'usr/lib/a b#1.so')).toBe('/api/blobs/sha256:ab/files/usr/lib/a%20b%231.so')
    expect(api.layerFiles('sha256:ab', { path: 'usr', sort: 'size', page: 2 })).toBe('/api/blobs/sha256:ab/files?path=usr&page=2&pageSize=200&sort=size')
  })
})
