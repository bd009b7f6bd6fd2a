// Pure rules of the registry API: routes parsed from the right, digests and references, byte ranges,
// chunk ranges, pagination, Accept negotiation and manifest validation.
import { describe, it, expect } from 'vitest'
import { parseRoute } from '../../lib/oci/routes'
import { checkDigest, parseReference } from '../../lib/oci/references'
import { checkAlgorithm } from '../../lib/oci/digest-algorithms'
import { decideRange, parseChunkRange } from '../../lib/oci/range'
import { pageOfNames, nextLink, byCodePoint, type Page } from '../../lib/oci/pagination'
import { acceptedTypes, clientAccepts } from '../../lib/oci/content-negotiation'
import { parseManifest, isForeignLayer } from '../../lib/oci/manifest-parse'
import { OciError } from '../../lib/oci/errors'

const D = `sha256:${'a'.repeat(64)}`
const code = (fn: () => unknown) => {
  try {
    fn()
  } catch (e) {
    return e instanceof OciError ? `${e.status} ${e.code}` : String(e)
  }
  return 'no error'
}

describe('routes', () => {
  it.each([
    ['/v2/', { kind: 'base' }],
    ['/v2', { kind: 'base' }],
    ['/v2/_catalog', { kind: 'catalog' }],
    ['/v2/a/b/tags/list', { kind: 'tags', name: 'a/b' }],
    ['/v2/a/manifests/b/manifests/latest', { kind: 'manifest', name: 'a/manifests/b', reference: 'latest' }],
    [`/v2/lib/x/manifests/${D.replace(':', '%3A')}`, { kind: 'manifest', name: 'lib/x', reference: D }],
    ['/v2/a/blobs/uploads/', { kind: 'upload', name: 'a', sessionId: null }],
    ['/v2/a/blobs/uploads', { kind: 'upload', name: 'a', sessionId: null }],
    ['/v2/a/blobs/uploads/123', { kind: 'upload', name: 'a', sessionId: '123' }],
    ['/v2/a/blobs/b/blobs/' + D, { kind: 'blob', name: 'a/blobs/b', digest: D }],
    ['/v2/a/referrers/' + D, { kind: 'referrers', name: 'a', digest: D }],
    ['/v2/a/tags/list/more', null],
    ['/v2/a', null],
  ])('%s', (path, route) => {
    expect(parseRoute(path)).toEqual(route)
  })

  it('rejects invalid repository names', () => {
    expect(code(() => parseRoute('/v2/UP/tags/list'))).toBe('400 NAME_INVALID')
    expect(code(() => parseRoute('/v2/a//b/tags/list'))).toBe('400 NAME_INVALID')
    expect(code(() => parseRoute('/v2/-a/manifests/x'))).toBe('400 NAME_INVALID')
  })
})

describe('digests and references', () => {
  it('accepts sha256 and sha512 digests of the right length only', () => {
    expect(checkDigest(D)).toBe(D)
    expect(checkDigest(`sha512:${'a'.repeat(128)}`)).toBe(`sha512:${'a'.repeat(128)}`)
    expect(code(() => checkDigest(`sha512:${'a'.repeat(64)}`))).toBe('400 DIGEST_INVALID')
    expect(code(() => checkDigest(`sha256:${'a'.repeat(128)}`))).toBe('400 DIGEST_INVALID')
    expect(code(() => checkDigest(`sha512:${'A'.repeat(128)}`))).toBe('400 DIGEST_INVALID')
    expect(code(() => checkDigest('sha256:ABC'))).toBe('400 DIGEST_INVALID')
    expect(code(() => checkDigest(null))).toBe('400 DIGEST_INVALID')
  })

  it('names the algorithm it does not support', () => {
    expect(() => checkDigest(`sha384:${'a'.repeat(96)}`)).toThrow(/"sha384", which this registry does not support; use sha256 or sha512/)
    expect(() => checkDigest(`blake3:${'a'.repeat(64)}`)).toThrow(/"blake3"/)
    expect(() => checkDigest('junk')).toThrow(/not a digest/)
  })

  it('checks a requested digest algorithm', () => {
    expect(checkAlgorithm('sha256')).toBe('sha256')
    expect(checkAlgorithm('sha512')).toBe('sha512')
    expect(code(() => checkAlgorithm('sha384'))).toBe('400 DIGEST_INVALID')
    expect(() => checkAlgorithm('sha384')).toThrow(/"sha384" is not supported by this registry; use sha256 or sha512/)
    expect(() => checkAlgorithm('SHA-512!')).toThrow(/is not a digest algorithm/)
    expect(code(() => checkAlgorithm(''))).toBe('400 DIGEST_INVALID')
    expect(code(() => checkAlgorithm('__proto__'))).toBe('400 DIGEST_INVALID')
  })

  it('tells tags from digests', () => {
    const onTag = (p: string) => new OciError('MANIFEST_INVALID', p)
    expect(parseReference('v1.0', onTag)).toEqual({ kind: 'tag', tag: 'v1.0' })
    expect(parseReference(D, onTag)).toEqual({ kind: 'digest', digest: D })
    expect(code(() => parseReference('.hidden', onTag))).toBe('400 MANIFEST_INVALID')
    expect(code(() => parseReference('x'.repeat(129), onTag))).toBe('400 MANIFEST_INVALID')
    expect(code(() => parseReference('sha256:short', onTag))).toBe('400 DIGEST_INVALID')
  })
})

describe('byte ranges of a 100-byte blob', () => {
  it.each([
    [undefined, { kind: 'full' }],
    ['bytes=0-0', { kind: 'partial', start: 0, end: 0 }],
    ['bytes=0-', { kind: 'partial', start: 0, end: 99 }],
    ['bytes=10-19', { kind: 'partial', start: 10, end: 19 }],
    ['bytes=90-500', { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-1', { kind: 'partial', start: 99, end: 99 }],
    ['bytes=-100', { kind: 'partial', start: 0, end: 99 }],
    ['bytes=-500', { kind: 'partial', start: 0, end: 99 }],
    ['bytes=100-', { kind: 'unsatisfiable' }],
    ['bytes=-0', { kind: 'unsatisfiable' }],
    ['bytes=5-1', { kind: 'full' }],
    ['bytes=0-1,3-4', { kind: 'full' }],
    ['items=0-1', { kind: 'full' }],
    ['bytes=-', { kind: 'full' }],
  ])('%s', (header, decision) => {
    expect(decideRange(header, 100)).toEqual(decision)
  })

  it('has no satisfiable range in an empty blob', () => {
    expect(decideRange('bytes=-5', 0)).toEqual({ kind: 'unsatisfiable' })
    expect(decideRange('bytes=0-0', 0)).toEqual({ kind: 'unsatisfiable' })
  })
})

describe('chunk Content-Range', () => {
  it.each([
    ['0-99', { start: 0, end: 99 }],
    ['bytes 100-199/*', { start: 100, end: 199 }],
    ['bytes=100-199', { start: 100, end: 199 }],
    ['bytes 100-199/1000', { start: 100, end: 199 }],
    ['100', null],
    ['a-b', null],
    [undefined, null],
  ])('%s', (header, range) => {
    expect(parseChunkRange(header)).toEqual(range)
  })
})

describe('pagination', () => {
  const names = ['b', 'a', 'C', 'a-b', 'a_b', 'ab'].sort(byCodePoint)
  it('sorts by code point, not by locale', () => {
    expect(names).toEqual(['C', 'a', 'a-b', 'a_b', 'ab', 'b'])
  })
  // the database's part (byte order, keyset, LIMIT) played by an array; the SQL is tested in tests/integration/catalog-paging.test.ts
  const paginate = (all: string[], page: Page, defaultSize: number | null) =>
    pageOfNames(page, defaultSize, async (after, limit) => all.filter((n) => after === null || n > after).slice(0, limit ?? undefined).map((name) => ({ name })))
  it('pages with n and last', async () => {
    expect(await paginate(names, { n: 2, last: null }, null)).toEqual({ items: ['C', 'a'], more: true })
    expect(await paginate(names, { n: 2, last: 'a' }, null)).toEqual({ items: ['a-b', 'a_b'], more: true })
    expect(await paginate(names, { n: 2, last: 'a_b' }, null)).toEqual({ items: ['ab', 'b'], more: false })
    expect(await paginate(names, { n: 2, last: 'aa' }, null)).toEqual({ items: ['ab', 'b'], more: false }) // last need not exist
    expect(await paginate(names, { n: null, last: null }, null)).toEqual({ items: names, more: false })
    expect(await paginate(names, { n: null, last: null }, 4)).toEqual({ items: names.slice(0, 4), more: true })
    expect(await paginate(names, { n: 0, last: null }, null)).toEqual({ items: [], more: false })
  })
  it('links to the next page', () => {
    expect(nextLink('/v2/a/tags/list', 2, 'v1+x')).toBe('</v2/a/tags/list?n=2&last=v1%2Bx>; rel="next"')
  })
})

describe('Accept negotiation', () => {
  const oci = 'application/vnd.oci.image.manifest.v1+json'
  const docker = 'application/vnd.docker.distribution.manifest.v2+json'
  it('parses several headers with parameters', () => {
    expect(acceptedTypes([`${docker}; q=0.9`, `${oci}, */*;q=0.1`])).toEqual([docker, oci, '*/*'])
  })
  it('serves what is stored unless the client lists manifest types that exclude it', () => {
    expect(clientAccepts(oci, [])).toBe(true)
    expect(clientAccepts(oci, [oci, docker])).toBe(true)
    expect(clientAccepts(oci, [docker])).toBe(false)
    expect(clientAccepts(oci, [docker, '*/*'])).toBe(true)
    expect(clientAccepts(oci, ['application/json'])).toBe(true)
  })
})

describe('manifest validation', () => {
  const config = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: D, size: 10 }
  const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${'b'.repeat(64)}`, size: 20 }
  const doc = (v: unknown) => Buffer.from(JSON.stringify(v))
  const image = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: [layer] }

  it('extracts references, subject and artifact type', () => {
    const subject = { mediaType: image.mediaType, digest: `sha256:${'c'.repeat(64)}`, size: 5 }
    const m = parseManifest(doc({ ...image, subject, annotations: { a: 'b' } }), undefined)
    expect(m).toMatchObject({ kind: 'image', mediaType: image.mediaType, config, layers: [layer], subject, artifactType: config.mediaType, annotations: { a: 'b' } })
    expect(parseManifest(doc({ ...image, artifactType: 'application/x.sig' }), image.mediaType).artifactType).toBe('application/x.sig')
  })

  it('takes the media type from the document, the header, or the shape', () => {
    const { mediaType: _omit, ...bare } = image
    expect(parseManifest(doc(bare), 'application/vnd.docker.distribution.manifest.v2+json').mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json')
    expect(parseManifest(doc(bare), 'application/json').mediaType).toBe(image.mediaType)
    expect(parseManifest(doc({ schemaVersion: 2, manifests: [] }), undefined)).toMatchObject({ kind: 'index', mediaType: 'application/vnd.oci.image.index.v1+json' })
  })

  it.each([
    ['not json', Buffer.from('{'), '400 MANIFEST_INVALID'],
    ['an array', doc([]), '400 MANIFEST_INVALID'],
    ['schema 1', doc({ ...image, schemaVersion: 1 }), '400 MANIFEST_INVALID'],
    ['no config', doc({ ...image, config: undefined }), '400 MANIFEST_INVALID'],
    ['a bad layer digest', doc({ ...image, layers: [{ ...layer, digest: 'x' }] }), '400 MANIFEST_INVALID'],
    ['a negative size', doc({ ...image, layers: [{ ...layer, size: -1 }] }), '400 MANIFEST_INVALID'],
    ['non-string annotations', doc({ ...image, annotations: { a: 1 } }), '400 MANIFEST_INVALID'],
    ['an index without manifests', doc({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json' }), '400 MANIFEST_INVALID'],
    ['an unknown type', doc({ ...image, mediaType: 'application/vnd.oci.artifact.manifest.v1+json' }), '415 UNSUPPORTED'],
  ])('rejects %s', (_what, body, expected) => {
    expect(code(() => parseManifest(body, undefined))).toBe(expected)
  })

  it('knows foreign layers', () => {
    expect(isForeignLayer({ mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', digest: D, size: 1, urls: ['https://x'] })).toBe(true)
    expect(isForeignLayer({ ...layer, urls: ['https://x'] })).toBe(false)
  })
})
