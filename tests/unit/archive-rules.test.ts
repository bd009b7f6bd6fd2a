import { describe, it, expect } from 'vitest'
import { normalizeEntryPath, resolveSymlinkTarget, normalizeReference } from '../../lib/archive/archive-path'
import { jsonDepthExceeds, parseBoundedJson, looksLikeJson } from '../../lib/archive/bounded-json'
import { detectCompression } from '../../lib/archive/compression'
import { tarEntryBytes } from '../../lib/archive/archive-reader'
import { loadConfig, ConfigError } from '../../lib/config'

describe('archive paths', () => {
  it('normalises harmless forms', () => {
    expect(normalizeEntryPath('./a//b/')).toBe('a/b')
    expect(normalizeEntryPath('blobs/sha256/abc')).toBe('blobs/sha256/abc')
  })
  it.each(['/etc/passwd', '../x', 'a/../../x', './././../evil', 'blobs/sha256/../../../../etc/cron.d/evil'])('refuses %s', (p) => {
    expect(() => normalizeEntryPath(p)).toThrow(/absolute|\.\./)
  })
  it('resolves symlinks relative to their directory, and only inside the archive', () => {
    expect(resolveSymlinkTarget('abc/layer.tar', '../def/layer.tar')).toBe('def/layer.tar')
    expect(() => resolveSymlinkTarget('abc/layer.tar', '../../etc/passwd')).toThrow(/outside/)
    expect(() => resolveSymlinkTarget('abc/layer.tar', '/etc/passwd')).toThrow(/absolute/)
  })
  it('refuses manifest references that leave the archive', () => {
    expect(() => normalizeReference('../../etc/passwd', 'Config')).toThrow(/outside/)
    expect(() => normalizeReference(42, 'Config')).toThrow(/path string/)
  })
})

describe('bounded JSON', () => {
  it('measures depth without parsing, ignoring brackets inside strings', () => {
    expect(jsonDepthExceeds(Buffer.from('[[[1]]]'), 3)).toBe(false)
    expect(jsonDepthExceeds(Buffer.from('[[[[1]]]]'), 3)).toBe(true)
    expect(jsonDepthExceeds(Buffer.from('{"a":"[[[[[[\\"[[["}'), 2)).toBe(false)
  })
  it('rejects too large, too deep and invalid documents with distinct codes', () => {
    const limits = { maxJsonBytes: 100, maxJsonDepth: 4 }
    expect(() => parseBoundedJson(Buffer.alloc(101, 0x20), 'x.json', limits)).toThrow(expect.objectContaining({ code: 'JSON_TOO_LARGE' }))
    expect(() => parseBoundedJson(Buffer.from('[[[[[1]]]]]'), 'x.json', limits)).toThrow(expect.objectContaining({ code: 'JSON_TOO_DEEP' }))
    expect(() => parseBoundedJson(Buffer.from('{"a":'), 'x.json', limits)).toThrow(expect.objectContaining({ code: 'JSON_INVALID' }))
    expect(parseBoundedJson(Buffer.from('{"a":[1]}'), 'x.json', limits)).toEqual({ a: [1] })
  })
  it('recognises JSON by its first significant byte', () => {
    expect(looksLikeJson(Buffer.from('  \n{"a":1}'))).toBe(true)
    expect(looksLikeJson(Buffer.from('1.0'))).toBe(false)
  })
})

describe('compression by magic bytes', () => {
  it.each([
    [[0x1f, 0x8b, 8, 0], 'gzip'],
    [[0x28, 0xb5, 0x2f, 0xfd], 'zstd'],
    [[0x50, 0x4b, 0x03, 0x04], 'zip'],
    [[0x42, 0x5a, 0x68, 0x39], 'bzip2'],
    [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'xz'],
    [[0x61, 0x62, 0x63, 0x64], 'none'],
  ])('%j is %s', (bytes, kind) => {
    expect(detectCompression(Buffer.from(bytes))).toBe(kind)
  })
})

describe('tar framing', () => {
  it('counts the header block and the padding', () => {
    expect(tarEntryBytes(0)).toBe(512)
    expect(tarEntryBytes(1)).toBe(1024)
    expect(tarEntryBytes(512)).toBe(1024)
    expect(tarEntryBytes(513)).toBe(1536)
  })
})

describe('configuration', () => {
  it('has embedded defaults', () => {
    const c = loadConfig({}, 2)
    expect(c.port).toBe(3000)
    expect(c.s3.endpoint).toBeUndefined()
    expect(c.databaseUrl).toMatch(/^file:.*stowage\.db$/)
    expect(c.analysisConcurrency).toBe(2)
  })
  it('reports every bad value at once, each with a message', () => {
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', S3_ENDPOINT: 'ftp://x', S3_FORCE_PATH_STYLE: 'maybe' })
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError)
      const problems = (e as ConfigError).problems.join('\n')
      expect(problems).toMatch(/PORT="eighty"/)
      expect(problems).toMatch(/DATABASE_URL/)
      expect(problems).toMatch(/S3_ENDPOINT="ftp:\/\/x"/)
      expect(problems).toMatch(/S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY are required/)
      expect(problems).toMatch(/S3_FORCE_PATH_STYLE/)
    }
  })
})
