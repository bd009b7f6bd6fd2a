// The pure parts of retention: which tags the keepLatest rule deletes (lib/retention/plan-tags.ts) and
// how a policy body is read (lib/retention/policy-input.ts).
import { describe, it, expect } from 'vitest'
import { planTagDeletions } from '../../lib/retention/plan-tags'
import { compileGlob } from '../../lib/retention/glob'
import { parsePolicyRules } from '../../lib/retention/policy-input'
import { ApiError } from '../../lib/http/respond'

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute))
const names = (tags: { name: string }[]) => tags.map((t) => t.name).sort()

describe('planTagDeletions', () => {
  const tags = [
    { name: 'a', updatedAt: at(1) },
    { name: 'b', updatedAt: at(5) },
    { name: 'release-1', updatedAt: at(0) },
    { name: 'c', updatedAt: at(3) },
    { name: 'd', updatedAt: at(4) },
    { name: 'release-2', updatedAt: at(9) },
  ]

  it('keeps the keepLatest most recently updated tags and deletes the others', () => {
    const plan = planTagDeletions(tags, { keepLatest: 2, keepPattern: null })
    expect(names(plan.keep)).toEqual(['b', 'release-2'])
    expect(names(plan.remove)).toEqual(['a', 'c', 'd', 'release-1'])
  })

  it('always keeps tags that match the pattern, and does not count them against keepLatest', () => {
    const plan = planTagDeletions(tags, { keepLatest: 2, keepPattern: compileGlob('release-*') })
    expect(names(plan.keep)).toEqual(['b', 'd', 'release-1', 'release-2'])
    expect(names(plan.remove)).toEqual(['a', 'c'])
  })

  it('keepLatest 0 keeps only the matching tags; more than there are keeps all', () => {
    expect(names(planTagDeletions(tags, { keepLatest: 0, keepPattern: compileGlob('release-*') }).keep)).toEqual(['release-1', 'release-2'])
    expect(planTagDeletions(tags, { keepLatest: 100, keepPattern: null }).remove).toEqual([])
  })

  it('breaks ties of equal update times by name: the name that sorts first is kept', () => {
    const same = ['v3', 'v1', 'v2'].map((name) => ({ name, updatedAt: at(7) }))
    expect(names(planTagDeletions(same, { keepLatest: 1, keepPattern: null }).keep)).toEqual(['v1'])
  })
})

describe('parsePolicyRules', () => {
  const problem = (body: Record<string, unknown>) => {
    try {
      parsePolicyRules(body)
      return null
    } catch (e) {
      expect(e).toBeInstanceOf(ApiError)
      expect((e as ApiError).status).toBe(400)
      return (e as ApiError).message
    }
  }

  it('reads a full policy, and fills what is left out', () => {
    expect(parsePolicyRules({ keepLatest: 10, keepPattern: 'release-*', untaggedDays: 30, enabled: false })).toEqual({ keepLatest: 10, keepPattern: 'release-*', untaggedDays: 30, enabled: false })
    expect(parsePolicyRules({ untaggedDays: 0 })).toEqual({ keepLatest: null, keepPattern: null, untaggedDays: 0, enabled: true })
    expect(parsePolicyRules({ keepLatest: 100_000, untaggedDays: 36_500 })).toMatchObject({ keepLatest: 100_000, untaggedDays: 36_500 })
  })

  it('refuses values out of range or of the wrong type, naming the field and the range', () => {
    expect(problem({ keepLatest: -1 })).toMatch(/"keepLatest" .* whole number from 0 to 100000/)
    expect(problem({ keepLatest: 100_001 })).toMatch(/"keepLatest"/)
    expect(problem({ keepLatest: 1.5 })).toMatch(/"keepLatest"/)
    expect(problem({ keepLatest: '10' })).toMatch(/"keepLatest"/)
    expect(problem({ untaggedDays: 36_501 })).toMatch(/"untaggedDays" .* 0 to 36500/)
    expect(problem({ keepLatest: 1, keepPattern: 'x'.repeat(201) })).toMatch(/"keepPattern" is longer than 200/)
    expect(problem({ keepLatest: 1, keepPattern: 'release-{a,b' })).toMatch(/"keepPattern" is not a valid glob: .*never closed/)
    expect(problem({ keepLatest: 1, keepPattern: 7 })).toMatch(/"keepPattern" must be a string/)
    expect(problem({ keepLatest: 1, enabled: 'yes' })).toMatch(/"enabled" must be true or false/)
    expect(problem({ keepLatest: 1, keepLast: 3 })).toMatch(/unknown field "keepLast"/)
  })

  it('needs at least one rule, and a pattern only together with keepLatest', () => {
    expect(problem({})).toMatch(/at least one rule/)
    expect(problem({ enabled: true, keepLatest: null })).toMatch(/at least one rule/)
    expect(problem({ keepPattern: 'release-*', untaggedDays: 3 })).toMatch(/set "keepLatest" too/)
  })
})
