'use client'
// A retention policy (of an organization, or of one repository) as registry users know it from Harbor
// and zot: keep the N most recent tags, keep tags matching a pattern, delete untagged images after N
// days. Owners edit it; "Preview" lists what the saved policy would delete (a dry run), "Apply now"
// deletes it. The API validates and its messages are shown as they come.
import { useEffect, useState } from 'react'
import { ApiFailure, apiRequest } from '../api-client'
import { api } from '../routes'
import { useAction } from '../accounts/use-action'
import { Field, FormError, Section } from '../accounts/parts'
import { ConfirmDialog } from '../confirm-dialog'
import { Spinner } from '../page-states'
import type { RetentionPolicyView, RetentionResultView } from '@/lib/console/lifecycle-views'
import { RetentionResultList } from './retention-result'

export type RetentionScope = { organization: string } | { repository: string }

type Draft = { keepLatest: string; keepPattern: string; untaggedDays: string; enabled: boolean }
const EMPTY: Draft = { keepLatest: '', keepPattern: '', untaggedDays: '', enabled: true }
const draftOf = (p: RetentionPolicyView | null): Draft =>
  p ? { keepLatest: p.keepLatest === null ? '' : String(p.keepLatest), keepPattern: p.keepPattern ?? '', untaggedDays: p.untaggedDays === null ? '' : String(p.untaggedDays), enabled: p.enabled } : EMPTY
const sameDraft = (a: Draft, b: Draft) => a.keepLatest === b.keepLatest && a.keepPattern === b.keepPattern && a.untaggedDays === b.untaggedDays && a.enabled === b.enabled

/** "" → null (no such rule); a whole number ≥ 0 → the number; anything else → NaN (refused before sending). */
const count = (text: string) => (text.trim() === '' ? null : /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN)

const json = (method: string, body: unknown): RequestInit => ({ method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })

/** GET answers the policy (or { policy }); POLICY_NOT_FOUND (404) or null: none is set. */
async function loadPolicy(url: string): Promise<RetentionPolicyView | null> {
  try {
    const raw = await apiRequest<RetentionPolicyView | { policy: RetentionPolicyView | null } | null>(url)
    if (raw && 'policy' in raw) return raw.policy
    return (raw as RetentionPolicyView | null) ?? null
  } catch (e) {
    if (e instanceof ApiFailure && e.code === 'POLICY_NOT_FOUND') return null
    throw e
  }
}

export function RetentionSection({ scope }: { scope: RetentionScope }) {
  const url = 'organization' in scope ? api.organizationRetention(scope.organization) : api.repositoryRetention(scope.repository)
  const target = 'organization' in scope ? `every repository of ${scope.organization}` : scope.repository
  const [saved, setSaved] = useState<RetentionPolicyView | null | undefined>(undefined)
  const [draft, setDraft] = useState<Draft>(EMPTY)
  const [loadError, setLoadError] = useState<string | null>(null)
  const [result, setResult] = useState<RetentionResultView | null>(null)
  const [confirming, setConfirming] = useState(false)
  const [status, setStatus] = useState<string | null>(null)
  const save = useAction()
  const runner = useAction()

  useEffect(() => {
    let live = true
    loadPolicy(url).then(
      (p) => {
        if (!live) return
        setSaved(p)
        setDraft(draftOf(p))
      },
      (e) => live && setLoadError(e instanceof ApiFailure ? `${e.message} (${e.code})` : String(e)),
    )
    return () => {
      live = false
    }
  }, [url])

  const keepLatest = count(draft.keepLatest)
  const untaggedDays = count(draft.untaggedDays)
  const problems = [Number.isNaN(keepLatest) && 'Keep the most recent: a whole number of tags (0 or more), or empty', Number.isNaN(untaggedDays) && 'Delete untagged after: a whole number of days (0 or more), or empty'].filter(Boolean) as string[]
  const changed = saved !== undefined && !sameDraft(draft, draftOf(saved))

  const submit = (e: React.FormEvent) => {
    e.preventDefault()
    if (problems.length) return
    setStatus(null)
    void save.run(async () => {
      const body = { keepLatest, keepPattern: draft.keepPattern.trim() || null, untaggedDays, enabled: draft.enabled }
      const answer = await apiRequest<RetentionPolicyView | { policy: RetentionPolicyView }>(url, json('PUT', body))
      const policy = answer && 'policy' in answer ? answer.policy : (answer as RetentionPolicyView)
      setSaved(policy)
      setDraft(draftOf(policy))
      setResult(null)
      setStatus('Policy saved')
    })
  }
  const remove = () => {
    setStatus(null)
    void save.run(async () => {
      await apiRequest<void>(url, { method: 'DELETE' })
      setSaved(null)
      setDraft(EMPTY)
      setResult(null)
      setStatus('Policy removed')
    })
  }
  const run = async (dryRun: boolean) => {
    setResult(null)
    const ok = await runner.run(async () => setResult(await apiRequest<RetentionResultView>(api.retentionRun(dryRun, scope), { method: 'POST' })))
    if (ok) setConfirming(false)
  }

  const id = 'organization' in scope ? 'retention-organization' : 'retention-repository'
  return (
    <Section title="Retention policy" id="retention">
      {saved === undefined ? (
        loadError ? (
          <div className="px-5 py-4">
            <FormError message={loadError} />
          </div>
        ) : (
          <p className="flex items-center gap-2 px-5 py-4 text-sm text-slate-600">
            <Spinner /> Loading the policy…
          </p>
        )
      ) : (
        <form onSubmit={submit} aria-label="Retention policy" className="space-y-4 px-5 py-4">
          <p className="text-sm text-slate-600">
            Applies to {target}
            {'organization' in scope ? ' that has no policy of its own' : ' instead of its organization’s policy (also while disabled)'}, on the schedule and with “Apply now”. Tags a pattern or the most-recent rule keeps stay; the others, and untagged images past their age, are deleted; their data goes at the next garbage collection. {saved ? '' : 'No policy is set.'}
          </p>
          <div className="grid gap-3 sm:grid-cols-3">
            <Field label="Keep the most recent" htmlFor={`${id}-keep-latest`} hint="tags, most recently updated first; empty: no limit">
              <input id={`${id}-keep-latest`} className="input font-mono" inputMode="numeric" autoComplete="off" placeholder="e.g. 10" value={draft.keepLatest} aria-invalid={Number.isNaN(keepLatest)} onChange={(e) => setDraft({ ...draft, keepLatest: e.target.value })} />
            </Field>
            <Field label="Keep tags matching" htmlFor={`${id}-keep-pattern`} hint="glob: * ? {a,b}; e.g. v*, {latest,stable}">
              <input id={`${id}-keep-pattern`} className="input font-mono" autoComplete="off" placeholder="e.g. release-*" value={draft.keepPattern} onChange={(e) => setDraft({ ...draft, keepPattern: e.target.value })} />
            </Field>
            <Field label="Delete untagged after" htmlFor={`${id}-untagged-days`} hint="days; empty: keep untagged images">
              <input id={`${id}-untagged-days`} className="input font-mono" inputMode="numeric" autoComplete="off" placeholder="e.g. 7" value={draft.untaggedDays} aria-invalid={Number.isNaN(untaggedDays)} onChange={(e) => setDraft({ ...draft, untaggedDays: e.target.value })} />
            </Field>
          </div>
          <label className="inline-flex items-center gap-2 text-sm text-slate-700">
            <input type="checkbox" className="h-4 w-4 accent-indigo-600" checked={draft.enabled} onChange={(e) => setDraft({ ...draft, enabled: e.target.checked })} />
            Enabled (applied on the schedule)
          </label>
          {problems.length > 0 && (
            <ul className="text-xs text-red-700">
              {problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          )}
          <FormError message={save.error} />
          <div className="flex flex-wrap items-center gap-3">
            <button type="submit" className="btn-primary" disabled={save.busy || problems.length > 0 || (!changed && !!saved)}>
              Save policy
            </button>
            {saved && (
              <button type="button" className="btn-secondary" disabled={save.busy} onClick={remove}>
                Remove policy
              </button>
            )}
            {status && (
              <span role="status" className="text-sm text-emerald-800">
                {status}
              </span>
            )}
          </div>
          <div className="space-y-3 border-t border-slate-100 pt-4">
            <div className="flex flex-wrap items-center gap-3">
              <button type="button" className="btn-secondary" disabled={!saved || changed || runner.busy} onClick={() => run(true)}>
                {runner.busy && !confirming && <Spinner />}
                Preview
              </button>
              <button type="button" className="btn-danger" disabled={!saved || changed || runner.busy} onClick={() => setConfirming(true)}>
                Apply now
              </button>
              <span className="text-xs text-slate-600">{!saved ? 'Save a policy first.' : changed ? 'Save the changes first: preview and apply use the saved policy.' : 'Preview lists what would be deleted; nothing is deleted.'}</span>
            </div>
            {!confirming && <FormError message={runner.error} />}
            {result && <RetentionResultList result={result} />}
          </div>
        </form>
      )}
      <ConfirmDialog open={confirming} title="Apply the retention policy now?" confirmLabel="Apply now" busy={runner.busy} error={runner.error} onConfirm={() => run(false)} onCancel={() => setConfirming(false)}>
        <p>The tags and untagged images of {target} that the policy does not keep are deleted now. Use Preview first to see which.</p>
      </ConfirmDialog>
    </Section>
  )
}
