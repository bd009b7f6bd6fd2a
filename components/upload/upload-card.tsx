'use client'
// One file in the upload queue: progress while it is sent, then what it created, or why it failed
// (with a repository:tag form when the archive did not name its image).
import Link from 'next/link'
import { useState } from 'react'
import type { UploadResult } from '../api-client'
import { tagHref } from '../routes'
import { Spinner } from '../page-states'
import { MessageText } from '../message-text'
import { uploadQueue, type UploadItem } from './upload-queue'
import { NameFields, nameDraftProblem, normalizedName, type NameDraft } from './name-fields'
import { ArchiveMessage } from '@/lib/archive/archive-messages'
import { estimateRemaining, formatBytes, formatDuration, formatPercent, formatRate, shortDigest } from '@/lib/format'

const NAME_CODES = new Set(['NAME_REQUIRED', 'NAME_INVALID'])

export function UploadCard({ item }: { item: UploadItem }) {
  const pct = item.total > 0 ? Math.min(100, (item.sent / item.total) * 100) : 0
  return (
    <li className="card overflow-hidden" data-testid="upload-item" data-phase={item.phase} data-filename={item.file.name}>
      <div className="flex items-start gap-3 px-5 py-4">
        <PhaseIcon phase={item.phase} needsName={item.failure?.code === 'NAME_REQUIRED'} />
        <div className="min-w-0 flex-1">
          <div className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1">
            <p className="truncate font-medium text-slate-900" title={item.file.name}>
              {item.file.name}
              {item.name && (
                <span className="ml-2 font-mono text-xs font-normal text-slate-500">
                  as {item.name.repository}:{item.name.tag}
                </span>
              )}
              {item.organization && <span className="ml-2 font-mono text-xs font-normal text-slate-500">into {item.organization}</span>}
            </p>
            <p className="text-xs whitespace-nowrap text-slate-500 tabular-nums">{statusLine(item)}</p>
          </div>
          {(item.phase === 'uploading' || item.phase === 'paused' || item.phase === 'importing' || item.phase === 'queued') && (
            <div className="mt-3">
              <div
                className="h-2 overflow-hidden rounded-full bg-slate-100"
                role="progressbar"
                aria-label={`Upload of ${item.file.name}`}
                aria-valuemin={0}
                aria-valuemax={100}
                aria-valuenow={Math.round(pct)}
              >
                <div
                  className={`h-full rounded-full transition-[width] duration-200 ${item.phase === 'importing' ? 'animate-pulse bg-indigo-400' : 'bg-indigo-600'}`}
                  style={{ width: `${pct}%` }}
                />
              </div>
              <div className="mt-1.5 flex flex-wrap justify-between gap-x-4 text-xs text-slate-500 tabular-nums">
                <span>
                  {formatBytes(item.sent)} of {formatBytes(item.total)} ({formatPercent(item.sent, item.total)})
                </span>
                {item.phase === 'uploading' && (
                  <span>
                    {formatRate(item.rate)} · {remainingText(item)}
                  </span>
                )}
                {item.phase === 'paused' && <span>paused: the server keeps what it has</span>}
                {item.phase === 'importing' && <span>verifying layers and committing…</span>}
              </div>
            </div>
          )}
          {!!item.resumedFrom && (
            <p className="mt-1 text-xs text-slate-500" data-testid="resumed-from" data-offset={item.resumedFrom}>
              continued at {formatBytes(item.resumedFrom)}: the server already had the bytes before
            </p>
          )}
          {item.phase === 'done' && item.result && <ImportSummary result={item.result} />}
          {item.phase === 'failed' && item.failure && <FailureDetails item={item} />}
        </div>
        <CardActions item={item} />
      </div>
    </li>
  )
}

function remainingText(item: UploadItem) {
  const eta = estimateRemaining(item.sent, item.total, item.rate)
  return eta === null ? 'estimating…' : `${formatDuration(eta)} left`
}

function statusLine(item: UploadItem): string {
  switch (item.phase) {
    case 'queued':
      return `waiting · ${formatBytes(item.total)}`
    case 'uploading':
      return 'uploading'
    case 'paused':
      return 'paused'
    case 'importing':
      return 'importing'
    case 'done': {
      const secs = item.finishedAt && item.startedAt ? (item.finishedAt - item.startedAt) / 1000 : null
      return `${formatBytes(item.result?.receivedBytes ?? item.total)}${secs !== null ? ` in ${secs < 10 ? secs.toFixed(1) + ' s' : formatDuration(secs)}` : ''}`
    }
    case 'failed':
      return item.failure?.code === 'CANCELLED' ? 'cancelled' : item.failure?.code === 'NAME_REQUIRED' ? 'needs a name' : 'failed'
  }
}

function PhaseIcon({ phase, needsName }: { phase: UploadItem['phase']; needsName: boolean }) {
  const base = 'mt-0.5 flex h-8 w-8 shrink-0 items-center justify-center rounded-full'
  if (phase === 'done')
    return (
      <span className={`${base} bg-emerald-50 text-emerald-600`} aria-label="imported">
        <svg viewBox="0 0 20 20" className="h-4 w-4" fill="none" stroke="currentColor" strokeWidth="2.2" aria-hidden="true">
          <path d="M4.5 10.5 8 14l7.5-8" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
      </span>
    )
  if (phase === 'failed')
    return (
      <span className={`${base} ${needsName ? 'bg-amber-50 text-amber-600' : 'bg-red-50 text-red-600'}`} aria-label={needsName ? 'needs a name' : 'failed'}>
        <svg viewBox="0 0 20 20" className="h-4 w-4" fill="none" stroke="currentColor" strokeWidth="2.2" aria-hidden="true">
          <path d="M10 5.5v5.5m0 3.2v.3" strokeLinecap="round" />
        </svg>
      </span>
    )
  if (phase === 'queued')
    return (
      <span className={`${base} bg-slate-100 text-slate-500`} aria-label="waiting">
        <svg viewBox="0 0 20 20" className="h-4 w-4" fill="none" stroke="currentColor" strokeWidth="1.8" aria-hidden="true">
          <circle cx="10" cy="10" r="6.5" />
          <path d="M10 6.5V10l2.5 1.5" strokeLinecap="round" />
        </svg>
      </span>
    )
  return (
    <span className={`${base} bg-indigo-50`} aria-label={phase}>
      <Spinner />
    </span>
  )
}

function CardActions({ item }: { item: UploadItem }) {
  if (item.phase === 'queued' || item.phase === 'uploading' || item.phase === 'paused')
    return (
      <div className="flex shrink-0 gap-2">
        {item.phase === 'uploading' && (
          <button type="button" className="btn-secondary px-2.5 py-1 text-xs" onClick={() => uploadQueue.pause(item.id)}>
            Pause
          </button>
        )}
        {item.phase === 'paused' && (
          <button type="button" className="btn-secondary px-2.5 py-1 text-xs" onClick={() => uploadQueue.resume(item.id)}>
            Resume
          </button>
        )}
        <button type="button" className="btn-secondary px-2.5 py-1 text-xs" onClick={() => uploadQueue.cancel(item.id)}>
          Cancel
        </button>
      </div>
    )
  if (item.phase === 'done' || item.phase === 'failed')
    return (
      <button
        type="button"
        className="rounded-md p-1 text-slate-500 hover:bg-slate-100 hover:text-slate-700"
        onClick={() => uploadQueue.dismiss(item.id)}
        aria-label={`Dismiss ${item.file.name}`}
        title="Dismiss"
      >
        <svg viewBox="0 0 20 20" className="h-4 w-4" fill="none" stroke="currentColor" strokeWidth="1.8" aria-hidden="true">
          <path d="m5.5 5.5 9 9m0-9-9 9" strokeLinecap="round" />
        </svg>
      </button>
    )
  return null
}

const STATUS_STYLE = {
  created: 'bg-emerald-50 text-emerald-700 ring-emerald-600/20',
  updated: 'bg-amber-50 text-amber-800 ring-amber-600/20',
  unchanged: 'bg-slate-100 text-slate-600 ring-slate-500/20',
} as const

function ImportSummary({ result }: { result: UploadResult }) {
  return (
    <div className="mt-3 space-y-3">
      <ul className="space-y-1.5" data-testid="import-tags">
        {result.tags.map((t) => (
          <li key={`${t.repository}:${t.tag}`} className="flex flex-wrap items-center gap-x-2 gap-y-1 text-sm">
            <span className={`rounded-md px-2 py-0.5 text-[11px] font-semibold ring-1 ring-inset ${STATUS_STYLE[t.status]}`}>{t.status}</span>
            <Link href={tagHref(t.repository, t.tag)} className="font-mono text-sm font-medium text-indigo-700 hover:underline">
              {t.repository}:{t.tag}
            </Link>
            <span className="font-mono text-xs text-slate-600" title={t.digest}>
              {shortDigest(t.digest)}
            </span>
            {t.status === 'updated' && t.previousDigest && (
              <span className="text-xs text-slate-500">
                (was <span className="font-mono" title={t.previousDigest}>{shortDigest(t.previousDigest)}</span>)
              </span>
            )}
            {t.status === 'unchanged' && <span className="text-xs text-slate-500">(already pointed to this image)</span>}
          </li>
        ))}
      </ul>
      <div className="flex flex-wrap gap-x-5 gap-y-1 rounded-lg bg-slate-50 px-3 py-2 text-xs text-slate-600">
        {result.images.map((img) => (
          <span key={img.manifestDigest}>
            {result.images.length > 1 && img.names.length > 0 && <span className="font-medium text-slate-800">{img.names.map((n) => `${n.repository}:${n.tag}`).join(', ')}: </span>}
            {img.layers} {img.layers === 1 ? 'layer' : 'layers'} · {formatBytes(img.uncompressedSize)} uncompressed · {formatBytes(img.packedSize)} packed
            {img.platform ? ` · ${img.platform}` : ''}
          </span>
        ))}
        {result.compression !== 'none' && <span>archive was {result.compression}-compressed</span>}
      </div>
    </div>
  )
}

function FailureDetails({ item }: { item: UploadItem }) {
  const failure = item.failure!
  const asksForName = NAME_CODES.has(failure.code)
  const [draft, setDraft] = useState<NameDraft>({ repository: item.name?.repository ?? '', tag: item.name?.tag ?? '' })
  const [touched, setTouched] = useState(false)
  const problem = nameDraftProblem(draft)

  return (
    <div className="mt-3 space-y-3">
      {failure.code === 'NAME_REQUIRED' ? (
        <div role="alert" className="rounded-lg border border-amber-200 bg-amber-50 px-3 py-2.5 text-sm text-amber-900" data-testid="upload-error">
          <p className="font-medium">The archive does not say what the image is called.</p>
          <p className="mt-0.5 text-xs text-amber-800">
            <MessageText text={capitalize(withoutApiHint(failure.message))} />. Type a repository and a tag below and the same file is imported under that name.
          </p>
          <p className="mt-1 font-mono text-[11px] text-amber-600">
            {failure.code} · HTTP {failure.status}
          </p>
        </div>
      ) : (
        <div role="alert" className="rounded-lg border border-red-200 bg-red-50 px-3 py-2.5 text-sm text-red-800" data-testid="upload-error">
          <p>
            <MessageText text={capitalize(failure.message)} />
          </p>
          <p className="mt-1 font-mono text-[11px] text-red-500">
            {failure.code}
            {failure.status ? ` · HTTP ${failure.status}` : ''}
          </p>
        </div>
      )}
      {asksForName ? (
        <form
          className="rounded-lg border border-slate-200 bg-slate-50 p-3"
          data-testid="name-form"
          onSubmit={(e) => {
            e.preventDefault()
            setTouched(true)
            if (!problem) uploadQueue.retry(item.id, normalizedName(draft))
          }}
        >
          <p className="mb-2 text-sm text-slate-700">
            {failure.code === 'NAME_REQUIRED' ? 'Name it, and the same file is imported again:' : 'Choose a valid name and import again:'}
          </p>
          <div className="flex flex-wrap items-end gap-3">
            <div className="min-w-0 flex-1 basis-64">
              <NameFields idPrefix={`name-${item.id}`} value={draft} onChange={setDraft} showProblem={touched || !!draft.repository} />
            </div>
            <button type="submit" className="btn-primary" disabled={touched && !!problem}>
              Import again with this name
            </button>
          </div>
        </form>
      ) : (
        failure.code !== 'NAME_AMBIGUOUS' &&
        (failure.status === 0 || failure.status >= 500) && (
          <button type="button" className="btn-secondary px-3 py-1.5 text-xs" onClick={() => uploadQueue.retry(item.id, item.name)}>
            Try again
          </button>
        )
      )}
    </div>
  )
}

/** The server's message tells API callers which query parameters to add; a person gets the form below instead. */
const withoutApiHint = (message: string) => message.replace(`; ${ArchiveMessage.nameRequiredApiHint}`, '').replace(/[.;]\s*$/, '')

const capitalize = (s: string) => (s ? s[0].toUpperCase() + s.slice(1) : s)
