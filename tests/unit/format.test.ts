// The console's pure display helpers and its URL scheme for repository names with slashes.
import { describe, it, expect } from 'vitest'
import {
  formatBytes,
  formatExactBytes,
  formatRate,
  formatDuration,
  estimateRemaining,
  formatPercent,
  shortDigest,
  formatRelativeTime,
  formatDateTime,
  formatCommand,
  formatCreatedBy,
  pullCommands,
} from '../../lib/format'
import { parseRepositoryPath, repositoryHref, tagHref, api } from '../../components/routes'
import { RateMeter } from '../../components/upload/rate-meter'

describe('formatBytes', () => {
  it('uses decimal units with three significant digits, like docker images', () => {
    expect(formatBytes(0)).toBe('0 B')
    expect(formatBytes(999)).toBe('999 B')
    expect(formatBytes(1000)).toBe('1.00 kB')
    expect(formatBytes(122880)).toBe('123 kB')
    expect(formatBytes(2201600)).toBe('2.20 MB')
    expect(formatBytes(44428)).toBe('44.4 kB')
    expect(formatBytes(10 * 1000 ** 3)).toBe('10.0 GB')
    expect(formatBytes(1.5e12)).toBe('1.50 TB')
  })
  it('rounds up into the next unit instead of printing 1000 kB', () => {
    expect(formatBytes(999_600)).toBe('1.00 MB')
    expect(formatBytes(999_499)).toBe('999 kB')
  })
  it('shows a dash for missing values', () => {
    expect(formatBytes(null)).toBe('—')
    expect(formatBytes(undefined)).toBe('—')
    expect(formatBytes(Number.NaN)).toBe('—')
  })
  it('groups exact counts for tooltips', () => {
    expect(formatExactBytes(2212352)).toBe('2,212,352 bytes')
    expect(formatExactBytes(1)).toBe('1 byte')
  })
})

describe('upload speed and time left', () => {
  it('formats rates and durations', () => {
    expect(formatRate(5_300_000)).toBe('5.30 MB/s')
    expect(formatRate(0)).toBe('—')
    expect(formatRate(null)).toBe('—')
    expect(formatDuration(8.4)).toBe('8 s')
    expect(formatDuration(125)).toBe('2 min 05 s')
    expect(formatDuration(3840)).toBe('1 h 04 min')
    expect(formatDuration(-1)).toBe('—')
  })
  it('estimates the remaining seconds only once a rate is known', () => {
    expect(estimateRemaining(250, 1000, 50)).toBe(15)
    expect(estimateRemaining(250, 1000, null)).toBeNull()
    expect(estimateRemaining(1200, 1000, 50)).toBe(0)
  })
  it('measures the rate over a sliding window', () => {
    const m = new RateMeter(1000)
    m.add(0, 0)
    expect(m.rate()).toBeNull()
    m.add(100, 1000)
    expect(m.rate()).toBeNull() // too short to say
    m.add(1000, 10_000)
    expect(m.rate()).toBe(10_000)
    // the link got slower: old samples leave the window
    m.add(2000, 11_000)
    m.add(3000, 12_000)
    expect(m.rate()).toBe(1000)
  })
})

describe('formatPercent', () => {
  it('gives a share of a whole', () => {
    expect(formatPercent(1147099, 2201600)).toBe('52%')
    expect(formatPercent(5, 100)).toBe('5.0%')
    expect(formatPercent(null, 100)).toBe('—')
    expect(formatPercent(5, 0)).toBe('—')
  })
})

describe('shortDigest', () => {
  it('keeps 12 hex digits like docker image IDs', () => {
    expect(shortDigest('sha256:e959a857d0603ccdd763390ffcbc861e39986eb291ffcc2280bfde1586d3a509')).toBe('e959a857d060')
    expect(shortDigest('abcdef0123456789')).toBe('abcdef012345')
    expect(shortDigest(null)).toBe('—')
  })
})

describe('times', () => {
  const now = Date.parse('2026-03-10T12:00:00Z')
  const ago = (s: number) => new Date(now - s * 1000).toISOString()
  it('says how long ago, in the largest fitting unit', () => {
    expect(formatRelativeTime(ago(10), now)).toBe('just now')
    expect(formatRelativeTime(ago(60), now)).toBe('1 minute ago')
    expect(formatRelativeTime(ago(5 * 60), now)).toBe('5 minutes ago')
    expect(formatRelativeTime(ago(3599), now)).toBe('1 hour ago')
    expect(formatRelativeTime(ago(3 * 3600), now)).toBe('3 hours ago')
    expect(formatRelativeTime(ago(2 * 86400), now)).toBe('2 days ago')
  })
  it('falls back to the date for old or future times and rejects garbage', () => {
    expect(formatRelativeTime(ago(90 * 86400), now)).toBe('2025-12-10')
    expect(formatRelativeTime(ago(-3600), now)).toBe('2026-03-10')
    expect(formatRelativeTime('not a date', now)).toBe('—')
    expect(formatRelativeTime(null, now)).toBe('—')
  })
  it('prints absolute times in UTC', () => {
    expect(formatDateTime('2024-01-01T00:00:00Z')).toBe('2024-01-01 00:00 UTC')
    expect(formatDateTime(undefined)).toBe('—')
  })
})

describe('commands', () => {
  it('renders entrypoint/cmd arrays the way a shell reads them', () => {
    expect(formatCommand(['/app/hello.sh'])).toBe('/app/hello.sh')
    expect(formatCommand(['/bin/sh', '-c', "echo 'hi' there"])).toBe(`/bin/sh -c 'echo '\\''hi'\\'' there'`)
    expect(formatCommand(null)).toBeNull()
    expect(formatCommand('nginx -g daemon off;')).toBe('nginx -g daemon off;')
  })
  it('strips builder noise from history entries', () => {
    expect(formatCreatedBy('/bin/sh -c #(nop)  CMD ["sh"]')).toBe('CMD ["sh"]')
    expect(formatCreatedBy('/bin/sh -c apk add curl')).toBe('RUN apk add curl')
    expect(formatCreatedBy('RUN /bin/sh -c make # buildkit')).toBe('RUN /bin/sh -c make')
    expect(formatCreatedBy(null)).toBe('')
  })
  it('builds pull commands for this host, relaxing TLS only over plain http', () => {
    const digest = 'sha256:' + 'a'.repeat(64)
    const plain = pullCommands({ host: 'reg.local:3000', secure: false, repository: 'example.test/busybox', tag: '1.0', digest })
    expect(plain.map((c) => c.command)).toEqual([
      'docker pull reg.local:3000/example.test/busybox:1.0',
      'podman pull --tls-verify=false reg.local:3000/example.test/busybox:1.0',
      'skopeo copy --src-tls-verify=false docker://reg.local:3000/example.test/busybox:1.0 docker-archive:busybox-1.0.tar:example.test/busybox:1.0',
      `docker pull reg.local:3000/example.test/busybox@${digest}`,
    ])
    const tls = pullCommands({ host: 'reg.example.com', secure: true, repository: 'app', tag: 'v1' })
    expect(tls.map((c) => c.command)).toEqual([
      'docker pull reg.example.com/app:v1',
      'podman pull reg.example.com/app:v1',
      'skopeo copy docker://reg.example.com/app:v1 docker-archive:app-v1.tar:app:v1',
    ])
  })
})

describe('console routes', () => {
  it('keeps the slashes of repository names in page URLs', () => {
    expect(repositoryHref('bazel/v1/tarball')).toBe('/repositories/bazel/v1/tarball')
    expect(tagHref('example.test/busybox', '1.0')).toBe('/repositories/example.test/busybox/-/tags/1.0')
    expect(api.tag('example.test/busybox', '1.0')).toBe('/api/repositories/example.test/busybox/tags/1.0')
    expect(api.archive('a/b', 'v1')).toBe('/api/repositories/a/b/tags/v1/archive')
    expect(api.uploads({ filename: 'my app.tar', repository: 'team/app', tag: 'v1' })).toBe('/api/uploads?filename=my+app.tar&repository=team%2Fapp&tag=v1')
  })
  it('splits the catch-all path on the "-" segment', () => {
    expect(parseRepositoryPath(['example.test', 'busybox'])).toEqual({ repository: 'example.test/busybox', tag: null })
    expect(parseRepositoryPath(['bazel', 'v1', 'tarball', '-', 'tags', 'test_image_1'])).toEqual({ repository: 'bazel/v1/tarball', tag: 'test_image_1' })
    expect(parseRepositoryPath(['a-b', '-', 'tags', 'x'])).toEqual({ repository: 'a-b', tag: 'x' })
  })
  it('opens an image by a sha256 or a sha512 digest', () => {
    for (const digest of [`sha256:${'a'.repeat(64)}`, `sha512:${'b'.repeat(128)}`]) {
      expect(parseRepositoryPath(['a', 'b', '-', 'digests', encodeURIComponent(digest)])).toEqual({ repository: 'a/b', tag: null, digest })
    }
    expect(parseRepositoryPath(['a', '-', 'digests', `sha512:${'b'.repeat(64)}`])).toBeNull()
    expect(parseRepositoryPath(['a', '-', 'digests', `sha384:${'b'.repeat(96)}`])).toBeNull()
  })
  it('round-trips through the URL builders', () => {
    for (const [repo, tag] of [
      ['example.test/busybox', '1.0'],
      ['a__b/c--d', 'V_1.2-rc'],
    ]) {
      const parts = tagHref(repo, tag).split('/').slice(2)
      expect(parseRepositoryPath(parts)).toEqual({ repository: repo, tag })
    }
  })
  it('rejects paths that are not a repository or an image page', () => {
    expect(parseRepositoryPath([])).toBeNull()
    expect(parseRepositoryPath(['-', 'tags', 'x'])).toBeNull()
    expect(parseRepositoryPath(['a', '-', 'tags'])).toBeNull()
    expect(parseRepositoryPath(['a', '-', 'layers', 'x'])).toBeNull()
    expect(parseRepositoryPath(['a', '-', 'tags', 'x', 'y'])).toBeNull()
  })
  it('opens an image by sha256 or sha512 digest, nothing else', () => {
    const sha256 = `sha256:${'a'.repeat(64)}`
    const sha512 = `sha512:${'b'.repeat(128)}`
    expect(parseRepositoryPath(['a', 'b', '-', 'digests', sha256])).toEqual({ repository: 'a/b', tag: null, digest: sha256 })
    expect(parseRepositoryPath(['a', '-', 'digests', encodeURIComponent(sha512)])).toEqual({ repository: 'a', tag: null, digest: sha512 })
    expect(parseRepositoryPath(['a', '-', 'digests', `sha512:${'b'.repeat(64)}`])).toBeNull()
    expect(parseRepositoryPath(['a', '-', 'digests', `md5:${'c'.repeat(32)}`])).toBeNull()
  })
  it('builds the lifecycle API addresses', () => {
    expect(api.manifest('a/b', `sha256:${'a'.repeat(64)}`)).toBe(`/api/repositories/a/b/manifests/sha256:${'a'.repeat(64)}`)
    expect(api.gc(false)).toBe('/api/gc?dryRun=false')
    expect(api.repositoryRetention('a b/c')).toBe('/api/repositories/a%20b/c/retention')
    expect(api.retentionRun(true, { organization: 'acme' })).toBe('/api/retention/run?dryRun=true&organization=acme')
  })
})
