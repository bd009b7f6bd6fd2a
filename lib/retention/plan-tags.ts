// Which tags of one repository the keepLatest rule deletes (pure: the caller loads the tags). Tags that
// match keepPattern are always kept; of the others the keepLatest most recently updated are kept
// (Tag.updatedAt, newest first; equal times: the name that sorts first is kept); the rest are deleted.
import type { Glob } from './glob'

export type TagRule = { keepLatest: number; keepPattern: Glob | null }

export type PlannedTag = { name: string; updatedAt: Date }

export function planTagDeletions<T extends PlannedTag>(tags: readonly T[], rule: TagRule): { keep: T[]; remove: T[] } {
  const keep: T[] = []
  const ranked: T[] = []
  for (const t of tags) (rule.keepPattern?.matches(t.name) ? keep : ranked).push(t)
  ranked.sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime() || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  keep.push(...ranked.slice(0, rule.keepLatest))
  return { keep, remove: ranked.slice(rule.keepLatest) }
}
