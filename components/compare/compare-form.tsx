// "Compare" on a repository page: two tags of the page, sent as a plain GET form to
// /repositories/<name>/-/compare?from=&to= (works without JavaScript, keyboard first).
import { compareHref } from '../routes'

export function CompareForm({ repository, tags, from = '', to = '' }: { repository: string; tags: string[]; from?: string; to?: string }) {
  // newest first on the repository page: compare the previous tag (from) with the newest (to) by default
  const defaultTo = to || tags[0] || ''
  const defaultFrom = from || tags.find((t) => t !== defaultTo) || ''
  const choice = (name: 'from' | 'to', label: string, value: string) => (
    <label className="flex min-w-0 flex-1 flex-col gap-1 text-xs text-slate-600 sm:flex-none">
      {label}
      {tags.length ? (
        <select name={name} defaultValue={value} className="input py-1.5 font-mono sm:w-48">
          {!tags.includes(value) && value && <option value={value}>{value}</option>}
          {tags.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      ) : (
        <input name={name} defaultValue={value} className="input py-1.5 font-mono sm:w-48" placeholder="tag or sha256:…" required />
      )}
    </label>
  )
  return (
    <form action={compareHref(repository)} method="get" className="flex flex-wrap items-end gap-2" aria-label="Compare two tags" data-testid="compare-form">
      {choice('from', 'From', defaultFrom)}
      {choice('to', 'To', defaultTo)}
      <button type="submit" className="btn-secondary py-1.5">
        Compare
      </button>
    </form>
  )
}
