// What a retention run deleted (or, as a preview, would delete): each tag or untagged image and why.
import type { RetentionResultView } from '@/lib/console/lifecycle-views'
import { shortDigest } from '@/lib/format'

const REASON: Record<string, string> = { 'keep-latest': 'beyond the most recent', untagged: 'untagged too long' }
const SHOWN = 200

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`

export function RetentionResultList({ result }: { result: RetentionResultView }) {
  const n = result.deleted.length
  const tags = result.deleted.filter((d) => d.tag !== null).length
  const what = [tags && plural(tags, 'tag', 'tags'), n - tags && plural(n - tags, 'untagged image', 'untagged images')].filter(Boolean).join(' and ')
  return (
    <div role="status" data-testid="retention-result" data-dry-run={String(result.dryRun)} className="rounded-lg border border-slate-200 bg-slate-50 px-4 py-3">
      <p className="text-sm font-medium text-slate-900">
        {result.dryRun ? 'Preview: ' : 'Applied: '}
        {n === 0 ? 'nothing to delete' : `${what} ${result.dryRun ? 'would be deleted' : 'deleted'}`}
        {' · '}
        {plural(result.kept, 'tag', 'tags')} kept
      </p>
      {n > 0 && (
        <ul className="mt-2 max-h-80 divide-y divide-slate-200 overflow-y-auto text-sm">
          {result.deleted.slice(0, SHOWN).map((d) => (
            <li key={`${d.repository}:${d.tag ?? d.digest}`} data-testid="retention-row" data-tag={d.tag ?? ''} data-digest={d.digest} className="flex flex-wrap items-baseline justify-between gap-x-3 py-1.5">
              <span className="min-w-0 font-mono text-xs break-all text-slate-900">
                {d.repository}
                {d.tag ? `:${d.tag}` : `@${shortDigest(d.digest)}`}
              </span>
              <span className="text-xs text-slate-600">{REASON[d.reason] ?? d.reason}</span>
            </li>
          ))}
          {n > SHOWN && <li className="py-1.5 text-xs text-slate-600">and {n - SHOWN} more</li>}
        </ul>
      )}
    </div>
  )
}
