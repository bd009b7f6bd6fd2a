'use client'
// One chosen file before it is sent: what the browser read in it (images, tags, platforms, layer
// counts, which tags would move and to what), a name form when its image has none, or why the file
// will not be uploaded at all.
import { useEffect } from 'react'
import { MessageText } from '../message-text'
import { NameFields, nameDraftProblem, normalizedName, type NameDraft } from './name-fields'
import { useArchivePreview, useTagChanges, type CurrentTag, type PreviewState } from './archive-preview'
import { nameableAsOne, tagOutcome, unnamedImages } from '@/lib/archive/preview-archive'
import { formatBytes, shortDigest } from '@/lib/format'
import type { ImageNameInput } from './upload-queue'

/** Whether this file can be sent: still being read, ready, waiting for a name, or refused. */
export type Readiness = 'reading' | 'ready' | 'needs-name' | 'refused'

export type FileChoice = { naming: boolean; draft: NameDraft }

const MAX_IMAGES_SHOWN = 10

export function readinessOf(preview: PreviewState, choice: FileChoice): Readiness {
  if (preview.kind === 'reading') return 'reading'
  if (preview.kind === 'rejected') return 'refused'
  if (preview.kind !== 'images') return choice.naming && nameDraftProblem(choice.draft) ? 'needs-name' : 'ready'
  const unnamed = unnamedImages(preview).length
  if (unnamed && !nameableAsOne(preview)) return 'refused'
  if ((unnamed || choice.naming) && nameDraftProblem(choice.draft)) return 'needs-name'
  return 'ready'
}

/** The repository:tag to send with the upload (?repository=&tag=), or null for the archive's own names. */
export function nameToSend(preview: PreviewState, choice: FileChoice) {
  const unnamed = preview.kind === 'images' && unnamedImages(preview).length > 0
  return (unnamed || choice.naming) && !nameDraftProblem(choice.draft) ? normalizedName(choice.draft) : null
}

export function SelectedFile({
  file,
  idPrefix,
  choice,
  onChoice,
  onReadiness,
  onRemove,
}: {
  file: File
  idPrefix: string
  choice: FileChoice
  onChoice: (c: FileChoice) => void
  onReadiness: (r: Readiness, name: ImageNameInput | null) => void
  onRemove: () => void
}) {
  const preview = useArchivePreview(file)
  const readiness = readinessOf(preview, choice)
  const sendName = nameToSend(preview, choice)
  useEffect(() => onReadiness(readiness, sendName), [readiness, sendName?.repository, sendName?.tag]) // eslint-disable-line react-hooks/exhaustive-deps
  const unnamed = preview.kind === 'images' ? unnamedImages(preview) : []
  const single = preview.kind === 'images' && nameableAsOne(preview)
  // Suggest the tag an OCI layout gives its unnamed image.
  const tagHint = single && preview.kind === 'images' ? (preview.index ? preview.index.tagHint : preview.images[0].tagHint) : null
  useEffect(() => {
    if (tagHint && !choice.draft.tag) onChoice({ ...choice, draft: { ...choice.draft, tag: tagHint } })
  }, [tagHint]) // eslint-disable-line react-hooks/exhaustive-deps

  const asks = single && unnamed.length === 1
  const name = (asks || choice.naming) && !nameDraftProblem(choice.draft) ? normalizedName(choice.draft) : null
  const changes = useTagChanges(preview, name)

  return (
    <li className="px-5 py-3 text-sm" data-testid="selected-file" data-filename={file.name} data-preview={preview.kind} data-readiness={readiness}>
      <div className="flex items-center gap-3">
        <svg viewBox="0 0 20 20" className="h-4 w-4 shrink-0 text-slate-400" fill="none" stroke="currentColor" strokeWidth="1.6" aria-hidden="true">
          <path d="M5 2.5h6.5L15 6v11.5H5z M11.5 2.5V6H15" strokeLinejoin="round" />
        </svg>
        <span className="min-w-0 flex-1 truncate font-medium text-slate-800">{file.name}</span>
        <span className="text-xs text-slate-500 tabular-nums">{formatBytes(file.size)}</span>
        <button
          type="button"
          className="rounded-md p-1 text-slate-500 hover:bg-slate-100 hover:text-slate-700"
          aria-label={`Remove ${file.name}`}
          onClick={onRemove}
        >
          <svg viewBox="0 0 20 20" className="h-4 w-4" fill="none" stroke="currentColor" strokeWidth="1.8" aria-hidden="true">
            <path d="m5.5 5.5 9 9m0-9-9 9" strokeLinecap="round" />
          </svg>
        </button>
      </div>
      <div className="mt-2 space-y-2 pl-7" data-testid="file-preview">
        {preview.kind === 'reading' && <p className="text-xs text-slate-500">Reading the archive…</p>}
        {preview.kind === 'rejected' && (
          <div role="alert" className="rounded-lg border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800" data-testid="preview-rejected">
            <p>
              <span className="font-medium">Will not be uploaded: </span>
              <MessageText text={preview.message} />
            </p>
            <p className="mt-1 font-mono text-[11px] text-red-700">{preview.code}</p>
          </div>
        )}
        {(preview.kind === 'compressed' || preview.kind === 'unreadable') && (
          <>
            <p className="text-xs text-slate-600" data-testid="preview-note">
              {capitalize(preview.message)}.
            </p>
            <NameAs idPrefix={idPrefix} choice={choice} onChoice={onChoice} />
          </>
        )}
        {preview.kind === 'images' && (
          <>
            <ul className="space-y-0.5 text-xs text-slate-600">
              {preview.images.slice(0, MAX_IMAGES_SHOWN).map((img, i) => (
                <li key={i} data-testid="preview-image">
                  {preview.images.length > 1 && <span className="font-medium text-slate-800">{preview.index ? 'Platform' : 'Image'} {i + 1}: </span>}
                  {img.platform ?? 'platform not stated'} · {img.layers} {img.layers === 1 ? 'layer' : 'layers'}
                  {!preview.index && img.names.length === 0 && <span className="text-amber-800"> · no name in the archive</span>}
                </li>
              ))}
              {preview.images.length + preview.unread > MAX_IMAGES_SHOWN && <li>and {preview.images.length + preview.unread - MAX_IMAGES_SHOWN} more images</li>}
            </ul>
            {preview.index && (
              <p className="text-xs text-slate-600" data-testid="preview-multi-platform">
                One multi-platform image: its tags will point to an image index over these {preview.images.length} platforms.
              </p>
            )}
            {unnamed.length > 0 && !single && (
              <p role="alert" className="rounded-lg border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800" data-testid="preview-rejected">
                {unnamed.length === 1 ? `Image ${unnamed[0] + 1} has` : `Images ${unnamed.map((i) => i + 1).join(', ')} have`} no name in this archive, and an archive with several
                images cannot be named here. Save the images with their names (for example <code className="font-mono">docker save -o app.tar team/app:1.0 team/db:2.0</code>)
                and choose that file.
              </p>
            )}
            {asks && (
              <div className="rounded-lg border border-amber-200 bg-amber-50 p-3" data-testid="preview-name-form">
                <p className="mb-2 text-sm text-amber-900">This archive does not say what its image is called. Give it a name before uploading:</p>
                <NameFields idPrefix={idPrefix} value={choice.draft} onChange={(draft) => onChoice({ ...choice, draft })} showProblem={!!choice.draft.repository} />
              </div>
            )}
            {single && !asks && <NameAs idPrefix={idPrefix} choice={choice} onChoice={onChoice} />}
            {changes.tags.length > 0 && (
              <ul className="space-y-1" aria-label={`What uploading ${file.name} does`}>
                {changes.tags.map((t) => (
                  <TagLine key={`${t.repository}:${t.tag}`} repository={t.repository} tag={t.tag} current={t.current} next={t.newDigest} />
                ))}
                {changes.total > changes.tags.length && (
                  <li className="text-xs text-slate-500">and {changes.total - changes.tags.length} more tags (the server reports them after the upload)</li>
                )}
              </ul>
            )}
          </>
        )}
      </div>
    </li>
  )
}

/** "Name as…": store a single-image archive under a repository:tag of the person's choice. */
function NameAs({ idPrefix, choice, onChoice }: { idPrefix: string; choice: FileChoice; onChoice: (c: FileChoice) => void }) {
  return (
    <div className="space-y-2">
      <label className="flex items-center gap-2 text-sm text-slate-700">
        <input
          type="checkbox"
          className="h-4 w-4 rounded border-slate-300 accent-indigo-600"
          checked={choice.naming}
          onChange={(e) => onChoice({ ...choice, naming: e.target.checked })}
        />
        <span className="whitespace-nowrap">Name as…</span> <span className="text-xs text-slate-500">(optional: store the image under this repository:tag instead of the names in the archive)</span>
      </label>
      {choice.naming && <NameFields idPrefix={idPrefix} value={choice.draft} onChange={(draft) => onChoice({ ...choice, draft })} showProblem={!!choice.draft.repository || !!choice.draft.tag} />}
    </div>
  )
}

const BADGE = {
  created: 'bg-emerald-50 text-emerald-700 ring-emerald-600/20',
  updated: 'bg-amber-50 text-amber-800 ring-amber-600/20',
  unchanged: 'bg-slate-100 text-slate-700 ring-slate-500/20',
  unknown: 'bg-slate-100 text-slate-700 ring-slate-500/20',
  checking: 'bg-slate-50 text-slate-600 ring-slate-400/20',
} as const

const digestText = (d: string) => `sha256:${shortDigest(d)}`

function TagLine({ repository, tag, current, next }: { repository: string; tag: string; current: CurrentTag; next: string | null }) {
  const outcome = current.state === 'checking' ? 'checking' : current.state === 'unknown' ? 'unknown' : tagOutcome(current.state === 'present' ? current.digest : null, next)
  const label = { created: 'new tag', updated: 'moves', unchanged: 'unchanged', unknown: 'exists', checking: 'checking' }[outcome]
  return (
    <li className="flex flex-wrap items-center gap-x-2 gap-y-0.5 text-xs" data-testid="preview-tag" data-tag={`${repository}:${tag}`} data-outcome={outcome}>
      <span className={`rounded-md px-2 py-0.5 text-[11px] font-semibold ring-1 ring-inset ${BADGE[outcome]}`}>{label}</span>
      <span className="font-mono text-sm text-slate-900">
        {repository}:{tag}
      </span>
      {outcome === 'updated' && current.state === 'present' && next && (
        <span className="text-slate-600">
          would move from{' '}
          <span className="font-mono" title={current.digest}>
            {digestText(current.digest)}
          </span>{' '}
          to{' '}
          <span className="font-mono" title={next}>
            {digestText(next)}
          </span>
        </span>
      )}
      {outcome === 'unchanged' && <span className="text-slate-600">already points to this image</span>}
      {outcome === 'created' && next && (
        <span className="font-mono text-slate-600" title={next}>
          {digestText(next)}
        </span>
      )}
      {outcome === 'unknown' && current.state === 'present' && (
        <span className="text-slate-600">
          now <span className="font-mono">{digestText(current.digest)}</span>; whether it moves is known after the upload
        </span>
      )}
      {outcome === 'unknown' && current.state !== 'present' && <span className="text-slate-600">could not be checked; the server reports it after the upload</span>}
    </li>
  )
}

const capitalize = (s: string) => (s ? s[0].toUpperCase() + s.slice(1) : s)
