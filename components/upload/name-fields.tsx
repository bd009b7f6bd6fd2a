'use client'
// Repository + tag inputs, checked with the same grammar the server applies.
import { repositoryNameProblem, tagNameProblem } from '@/lib/registry/names'

export type NameDraft = { repository: string; tag: string }

/** null when the draft is usable; else the first problem. An empty tag means "latest". */
export function nameDraftProblem(d: NameDraft): string | null {
  const repository = d.repository.trim()
  if (!repository) return 'enter a repository name, e.g. team/app'
  return repositoryNameProblem(repository) ?? (d.tag.trim() ? tagNameProblem(d.tag.trim()) : null)
}

export const normalizedName = (d: NameDraft) => ({ repository: d.repository.trim(), tag: d.tag.trim() || 'latest' })

export function NameFields({ value, onChange, idPrefix, disabled = false, showProblem = true }: { value: NameDraft; onChange: (d: NameDraft) => void; idPrefix: string; disabled?: boolean; showProblem?: boolean }) {
  const problem = showProblem ? nameDraftProblem(value) : null
  return (
    <div>
      <div className="flex flex-wrap items-end gap-3">
        <div className="min-w-0 flex-[3] basis-48">
          <label htmlFor={`${idPrefix}-repository`} className="mb-1 block text-xs font-medium text-slate-600">
            Repository
          </label>
          <input
            id={`${idPrefix}-repository`}
            className="input font-mono"
            placeholder="team/app"
            autoComplete="off"
            spellCheck={false}
            value={value.repository}
            disabled={disabled}
            onChange={(e) => onChange({ ...value, repository: e.target.value })}
          />
        </div>
        <div className="min-w-0 flex-1 basis-28">
          <label htmlFor={`${idPrefix}-tag`} className="mb-1 block text-xs font-medium text-slate-600">
            Tag
          </label>
          <input
            id={`${idPrefix}-tag`}
            className="input font-mono"
            placeholder="latest"
            autoComplete="off"
            spellCheck={false}
            value={value.tag}
            disabled={disabled}
            onChange={(e) => onChange({ ...value, tag: e.target.value })}
          />
        </div>
      </div>
      {problem && <p className="mt-1.5 text-xs text-red-600">{problem}</p>}
    </div>
  )
}
