'use client'
// An organization's push rate limit and quotas, next to what it uses. Administrators edit the limits;
// members see them. Empty = no quota (and the server's default rate limit).
import { useState } from 'react'
import { accountsApi, type OrganizationSettings, type OrganizationUsage } from './accounts-api'
import { useAction } from './use-action'
import { Field, FormError, Section } from './parts'
import { formatBytes, formatExactBytes } from '@/lib/format'
import { parseByteSize } from './byte-size'

type Key = keyof OrganizationSettings
const FIELDS: { key: Key; label: string; unit: string; empty: string }[] = [
  { key: 'pushRatePerSecond', label: 'Push rate limit', unit: 'write requests per second', empty: 'server default' },
  { key: 'quotaRepositories', label: 'Repositories quota', unit: 'repositories', empty: 'no quota' },
  { key: 'quotaTagsPerRepository', label: 'Tags per repository quota', unit: 'tags in each repository', empty: 'no quota' },
  { key: 'quotaBytes', label: 'Storage quota', unit: 'bytes, uncompressed (e.g. 10GB)', empty: 'no quota' },
]

const shown = (key: Key, v: number | null) => (v === null ? '' : key === 'quotaBytes' ? formatBytes(v).replace(' ', '') : String(v))

export function SettingsSection({ organization, settings, usage, canEdit, onChanged }: { organization: string; settings: OrganizationSettings; usage: OrganizationUsage; canEdit: boolean; onChanged: () => unknown }) {
  return (
    <Section title="Usage and limits" id="settings">
      <UsageBars settings={settings} usage={usage} />
      {canEdit ? <SettingsForm organization={organization} settings={settings} onSaved={onChanged} /> : <SettingsList settings={settings} />}
    </Section>
  )
}

function UsageBars({ settings, usage }: { settings: OrganizationSettings; usage: OrganizationUsage }) {
  const rows = [
    { label: 'Repositories', used: usage.repositories, quota: settings.quotaRepositories, text: (n: number) => String(n) },
    { label: 'Tags', used: usage.tags, quota: null, text: (n: number) => String(n), note: settings.quotaTagsPerRepository !== null ? `at most ${settings.quotaTagsPerRepository} per repository` : undefined },
    { label: 'Stored (uncompressed)', used: usage.bytes, quota: settings.quotaBytes, text: formatBytes, title: formatExactBytes(usage.bytes) },
  ]
  return (
    <dl className="grid gap-4 px-5 py-4 sm:grid-cols-3" data-testid="usage">
      {rows.map((r) => {
        const share = r.quota ? Math.min(1, r.used / r.quota) : null
        return (
          <div key={r.label} className="min-w-0">
            <dt className="text-xs font-medium text-slate-600">{r.label}</dt>
            <dd className="mt-1 text-lg font-semibold text-slate-900 tabular-nums" title={r.title}>
              {r.text(r.used)}
              <span className="text-sm font-normal text-slate-600">{r.quota !== null ? ` of ${r.text(r.quota)}` : ''}</span>
            </dd>
            {share !== null && (
              <div className="mt-1.5 h-1.5 overflow-hidden rounded-full bg-slate-100" role="meter" aria-label={`${r.label} used`} aria-valuemin={0} aria-valuemax={r.quota!} aria-valuenow={r.used}>
                <div className={`h-full rounded-full ${share >= 0.9 ? 'bg-red-600' : 'bg-indigo-600'}`} style={{ width: `${Math.max(share * 100, 1)}%` }} />
              </div>
            )}
            {r.note && <p className="mt-1 text-xs text-slate-600">{r.note}</p>}
          </div>
        )
      })}
    </dl>
  )
}

function SettingsList({ settings }: { settings: OrganizationSettings }) {
  return (
    <dl className="grid gap-3 border-t border-slate-100 px-5 py-4 text-sm sm:grid-cols-2" data-testid="settings-values">
      {FIELDS.map((f) => (
        <div key={f.key} className="min-w-0">
          <dt className="text-xs font-medium text-slate-600">{f.label}</dt>
          <dd className="text-slate-900">{settings[f.key] === null ? f.empty : f.key === 'quotaBytes' ? formatBytes(settings[f.key]) : `${settings[f.key]} ${f.unit}`}</dd>
        </div>
      ))}
      <p className="text-xs text-slate-600 sm:col-span-2">Administrators set these limits.</p>
    </dl>
  )
}

function SettingsForm({ organization, settings, onSaved }: { organization: string; settings: OrganizationSettings; onSaved: () => unknown }) {
  const [draft, setDraft] = useState<Record<Key, string>>(() => Object.fromEntries(FIELDS.map((f) => [f.key, shown(f.key, settings[f.key])])) as Record<Key, string>)
  const [saved, setSaved] = useState(false)
  const { busy, error, run } = useAction()
  const parsed = Object.fromEntries(
    FIELDS.map((f) => {
      const text = draft[f.key].trim()
      if (f.key === 'quotaBytes') return [f.key, parseByteSize(text)]
      return [f.key, text === '' ? null : /^\d+$/.test(text) ? Number(text) : NaN]
    }),
  ) as Record<Key, number | null>
  const invalid = FIELDS.filter((f) => Number.isNaN(parsed[f.key]) || (f.key === 'pushRatePerSecond' && parsed[f.key] === 0))
  const submit = async (e: React.FormEvent) => {
    e.preventDefault()
    if (invalid.length) return
    setSaved(false)
    await run(async () => {
      await accountsApi.updateSettings(organization, parsed)
      setSaved(true)
      await onSaved()
    })
  }
  return (
    <form onSubmit={submit} aria-label="Limits" className="space-y-3 border-t border-slate-100 px-5 py-4">
      <div className="grid gap-3 sm:grid-cols-2">
        {FIELDS.map((f) => (
          <Field key={f.key} label={f.label} htmlFor={`setting-${f.key}`} hint={`${f.unit}; empty: ${f.empty}`}>
            <input
              id={`setting-${f.key}`}
              className="input font-mono"
              inputMode={f.key === 'quotaBytes' ? 'text' : 'numeric'}
              autoComplete="off"
              value={draft[f.key]}
              aria-invalid={invalid.includes(f)}
              onChange={(e) => {
                setSaved(false)
                setDraft({ ...draft, [f.key]: e.target.value })
              }}
            />
          </Field>
        ))}
      </div>
      {invalid.length > 0 && <p className="text-xs text-red-700">Not a valid value: {invalid.map((f) => f.label).join(', ')}</p>}
      <FormError message={error} />
      <div className="flex flex-wrap items-center gap-3">
        <button type="submit" className="btn-primary" disabled={busy || invalid.length > 0}>
          Save limits
        </button>
        {saved && (
          <span role="status" className="text-sm text-emerald-800">
            Saved
          </span>
        )}
      </div>
    </form>
  )
}
