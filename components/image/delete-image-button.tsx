'use client'
// "Delete image": the manifest by digest, for good (DELETE /api/repositories/<name>/manifests/<digest>).
// The confirmation names the digest and every tag that goes with it; a refusal (409: an index of the
// repository still lists the image) is shown as the server words it.
import { useState } from 'react'
import { ApiFailure, apiRequest, type TagList } from '../api-client'
import { ConfirmDialog } from '../confirm-dialog'
import { useMayPush } from '../accounts/use-session'
import { api } from '../routes'

export type DeletedImage = { deleted: string; tags: string[] }

export function DeleteImageButton(props: {
  repository: string
  digest: string
  /** the tags pointing at the image; null: read from the repository's tag list when the dialog opens */
  tags: string[] | null
  onDeleted: (result: DeletedImage) => void
}) {
  const mayPush = useMayPush(props.repository)
  const [open, setOpen] = useState(false)
  const [tags, setTags] = useState<string[] | null>(props.tags)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)

  const show = async () => {
    setError(null)
    setOpen(true)
    if (props.tags) return setTags(props.tags)
    setTags(null)
    try {
      const list = await apiRequest<TagList>(api.tags(props.repository))
      setTags(list.tags.filter((t) => t.digest === props.digest).map((t) => t.name))
    } catch (e) {
      setError(e instanceof ApiFailure ? e.message : String(e))
    }
  }
  const confirm = async () => {
    setBusy(true)
    setError(null)
    try {
      const result = await apiRequest<DeletedImage>(api.manifest(props.repository, props.digest), { method: 'DELETE' })
      setOpen(false)
      props.onDeleted({ deleted: result?.deleted ?? props.digest, tags: result?.tags ?? tags ?? [] })
    } catch (e) {
      // a 409 says which index still lists the image: its message as is; others with their code
      setError(e instanceof ApiFailure ? (e.status === 409 ? e.message : `${e.message} (${e.code})`) : String(e))
    } finally {
      setBusy(false)
    }
  }

  if (mayPush === false) return null
  return (
    <>
      <button type="button" className={`btn-secondary text-red-600 hover:text-red-700${mayPush === null ? ' invisible' : ''}`} onClick={show} aria-label={`Delete image ${props.digest}`}>
        <svg viewBox="0 0 20 20" className="h-4 w-4" fill="none" stroke="currentColor" strokeWidth="1.6" aria-hidden="true">
          <path d="M4 6h12M8 6V4.5A1.5 1.5 0 0 1 9.5 3h1A1.5 1.5 0 0 1 12 4.5V6m2 0-.6 9.1A2 2 0 0 1 11.4 17H8.6a2 2 0 0 1-2-1.9L6 6" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
        Delete image
      </button>
      <ConfirmDialog open={open} title="Delete this image for good?" confirmLabel="Delete image" busy={busy} error={error} onConfirm={confirm} onCancel={() => setOpen(false)}>
        <p>
          Image <span className="font-mono text-xs break-all text-slate-900" data-testid="delete-image-digest">{props.digest}</span> of{' '}
          <span className="font-medium break-all text-slate-900">{props.repository}</span> can no longer be pulled, not even by digest. Its data is freed at the next garbage collection.
        </p>
        <p className="mt-2" data-testid="delete-image-tags">
          {tags === null ? (
            'Reading the tags that point here…'
          ) : tags.length === 0 ? (
            'No tag points to it.'
          ) : (
            <>
              {tags.length === 1 ? 'This tag is deleted with it: ' : `These ${tags.length} tags are deleted with it: `}
              {tags.map((t, i) => (
                <span key={t}>
                  {i > 0 && ', '}
                  <span className="font-mono font-medium break-all text-slate-900">{t}</span>
                </span>
              ))}
              .
            </>
          )}
        </p>
      </ConfirmDialog>
    </>
  )
}
