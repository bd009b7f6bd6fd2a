// Glob patterns of retention policies (lib/retention/glob.ts): what matches, what is refused, and that a
// pattern built to make a backtracking matcher explode is answered by stepping through states instead.
import { describe, it, expect } from 'vitest'
import { compileGlob, globProblem, MAX_GLOB_LENGTH } from '../../lib/retention/glob'

const m = (pattern: string, name: string) => compileGlob(pattern).matches(name)

describe('retention glob', () => {
  it('matches literals anchored at both ends', () => {
    expect(m('latest', 'latest')).toBe(true)
    expect(m('latest', 'latest2')).toBe(false)
    expect(m('latest', 'xlatest')).toBe(false)
    expect(m('', '')).toBe(true)
    expect(m('', 'a')).toBe(false)
  })

  it('* matches any run of characters, also an empty one', () => {
    expect(m('release-*', 'release-1.2')).toBe(true)
    expect(m('release-*', 'release-')).toBe(true)
    expect(m('release-*', 'release')).toBe(false)
    expect(m('release-*', 'prerelease-1')).toBe(false)
    expect(m('*-rc', 'v1-rc')).toBe(true)
    expect(m('*-rc', 'v1-rc1')).toBe(false)
    expect(m('*', '')).toBe(true)
    expect(m('v*.*.*', 'v1.22.3')).toBe(true)
    expect(m('v*.*.*', 'v1.22')).toBe(false)
  })

  it('? matches exactly one character', () => {
    expect(m('v?', 'v1')).toBe(true)
    expect(m('v?', 'v')).toBe(false)
    expect(m('v?', 'v12')).toBe(false)
    expect(m('v??', 'v12')).toBe(true)
  })

  it('{a,b} matches one of its alternatives, which may hold globs and nest', () => {
    expect(m('{latest,stable}', 'latest')).toBe(true)
    expect(m('{latest,stable}', 'stable')).toBe(true)
    expect(m('{latest,stable}', 'latest,stable')).toBe(false)
    expect(m('{release,hotfix}-*', 'hotfix-7')).toBe(true)
    expect(m('{release,hotfix}-*', 'feature-7')).toBe(false)
    expect(m('v{1.*,2.{0,1}}', 'v2.1')).toBe(true)
    expect(m('v{1.*,2.{0,1}}', 'v2.2')).toBe(false)
    expect(m('v{1.*,2.{0,1}}', 'v1.9.9')).toBe(true)
    expect(m('v1{,-slim}', 'v1')).toBe(true)
    expect(m('v1{,-slim}', 'v1-slim')).toBe(true)
  })

  it('a backslash makes the next character literal; a comma outside braces is literal', () => {
    expect(m('a\\*', 'a*')).toBe(true)
    expect(m('a\\*', 'ab')).toBe(false)
    expect(m('\\{x\\}', '{x}')).toBe(true)
    expect(m('a,b', 'a,b')).toBe(true)
  })

  it('characters that are special in regular expressions are plain here', () => {
    expect(m('v1.0', 'v1x0')).toBe(false)
    expect(m('a+b', 'a+b')).toBe(true)
    expect(m('(x)|y', '(x)|y')).toBe(true)
    expect(m('^x$', '^x$')).toBe(true)
  })

  it('refuses malformed patterns with a message that says where', () => {
    expect(globProblem('{a,b')).toMatch(/position 1 is never closed/)
    expect(globProblem('a}')).toMatch(/"}" at position 2 closes no "{"/)
    expect(globProblem('abc\\')).toMatch(/lone "\\"/)
    expect(globProblem('x'.repeat(MAX_GLOB_LENGTH + 1))).toMatch(/longer than 200/)
    expect(globProblem('x'.repeat(MAX_GLOB_LENGTH))).toBeNull()
    expect(globProblem('release-*')).toBeNull()
  })

  it('answers patterns that make backtracking matchers exponential by visiting each state once per character', () => {
    // With a RegExp such as /^(.*a){20}b$/ against "aaaa…" (no b) a backtracking engine explores an
    // exponential number of splits; the automaton visits at most (pattern states) per character.
    const pattern = '*a'.repeat(60) + 'b'
    const name = 'a'.repeat(128)
    const glob = compileGlob(pattern)
    expect(glob.matches(name)).toBe(false)
    expect(glob.matches('a'.repeat(60) + 'b')).toBe(true)
    const alternatives = '{' + '{a,*},'.repeat(9) + 'x}' // nine alternatives that all match "a"
    expect(compileGlob(alternatives.repeat(3) + '*b').matches('a'.repeat(128))).toBe(false)
    expect(compileGlob(alternatives.repeat(3) + '*b').matches('aaab')).toBe(true)
  })
})
