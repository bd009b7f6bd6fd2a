'use client'
// "Delete tag" with a confirmation; calls the API and tells the page when the tag is gone.
import { useState } from 'react'
import { ApiFailure, deleteTagRequest } from './api-client'
import { ConfirmDialog } from './confirm-dialog'
import { useMayPush } from './accounts/use-session'
import { api } from './routes'
import { shortDigest } from '@/lib/format'

export function DeleteTagButton(props: { repository: string; tag: string; digest: string; onDeleted: () => void; variant?: 'ghost' | 'button' }) {
  const [open, setOpen] = useState(false)
  // shown only to those who may push here (the server refuses the others anyway); kept in place but invisible while the session loads (no layout jump)
  const mayPush = useMayPush(props.repository)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)

  const confirm = async () => {
    setBusy(true)
    setError(null)
    try {
      await deleteTagRequest(api.tag(props.repository, props.tag))
      setOpen(false)
      props.onDeleted()
    } catch (e) {
      // Someone else deleted it meanwhile: the outcome the user asked for.
      if (e instanceof ApiFailure && e.code === 'TAG_NOT_FOUND') {
        setOpen(false)
        props.onDeleted()
      } else setError(e instanceof ApiFailure ? `${e.message} (${e.code})` : String(e))
    } finally {
      setBusy(false)
    }
  }

  if (mayPush === false) return null
  return (
    <>
      <button
        type="button"
        className={`${props.variant === 'button' ? 'btn-secondary text-red-600 hover:text-red-700' : 'btn-danger-ghost'}${mayPush === null ? ' invisible' : ''}`}
        onClick={() => {
          setError(null)
          setOpen(true)
        }}
        aria-label={`Delete tag ${props.repository}:${props.tag}`}
      >
        <svg viewBox="0 0 20 20" className="h-4 w-4" fill="none" stroke="currentColor" strokeWidth="1.6" aria-hidden="true">
          <path d="M4 6h12M8 6V4.5A1.5 1.5 0 0 1 9.5 3h1A1.5 1.5 0 0 1 12 4.5V6m2 0-.6 9.1A2 2 0 0 1 11.4 17H8.6a2 2 0 0 1-2-1.9L6 6" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
        {props.variant === 'button' ? 'Delete tag' : 'Delete'}
      </button>
      <ConfirmDialog
        open={open}
        title={`Delete ${props.repository}:${props.tag}?`}
        confirmLabel="Delete tag"
        busy={busy}
        error={error}
        onConfirm={confirm}
        onCancel={() => setOpen(false)}
      >
        <p>
          The tag <span className="font-mono font-medium text-slate-900">{props.tag}</span> will no longer point to image{' '}
          <span className="font-mono">{shortDigest(props.digest)}</span>; pulls of{' '}
          <span className="font-mono">
            {props.repository}:{props.tag}
          </span>{' '}
          will fail. The image can still be pulled by digest until its data is garbage-collected.
        </p>
      </ConfirmDialog>
    </>
  )
}
