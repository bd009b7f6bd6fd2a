'use client'
// "Point the tag here": after a confirmation, moves a tag to an image of its repository (PUT
// .../tags/{tag} {digest}), confirms with a message and re-renders the page from the server.
import { useRouter } from 'next/navigation'
import { useState } from 'react'
import { ApiFailure, putTagRequest } from './api-client'
import { ConfirmDialog } from './confirm-dialog'
import { useMayPush } from './accounts/use-session'
import { flash } from './flash'
import { api } from './routes'
import { shortDigest } from '@/lib/format'

export function PointTagButton(props: { repository: string; tag: string; digest: string; label?: string; className?: string; onDone?: () => void }) {
  const router = useRouter()
  // shown only to those who may push here (the server refuses the others anyway); kept in place but invisible while the session loads (no layout jump)
  const mayPush = useMayPush(props.repository)
  const [open, setOpen] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const name = `${props.repository}:${props.tag}`

  const confirm = async () => {
    setBusy(true)
    setError(null)
    try {
      await putTagRequest(api.tag(props.repository, props.tag), props.digest)
      setOpen(false)
      flash(`${name} now points to ${shortDigest(props.digest)}`)
      if (props.onDone) props.onDone()
      else router.refresh()
    } catch (e) {
      setError(e instanceof ApiFailure ? `${e.message} (${e.code})` : String(e))
    } finally {
      setBusy(false)
    }
  }

  if (mayPush === false) return null
  return (
    <>
      <button
        type="button"
        className={`${props.className ?? 'rounded-md border border-slate-300 bg-white px-2 py-0.5 text-xs font-medium text-slate-700 hover:border-indigo-400 hover:text-indigo-700'}${mayPush === null ? ' invisible' : ''}`}
        onClick={() => {
          setError(null)
          setOpen(true)
        }}
        aria-label={`Point ${name} to ${shortDigest(props.digest)}`}
      >
        {props.label ?? 'Point tag here'}
      </button>
      <ConfirmDialog open={open} title={`Point ${name} to ${shortDigest(props.digest)}?`} confirmLabel="Point tag here" tone="primary" busy={busy} error={error} onConfirm={confirm} onCancel={() => setOpen(false)}>
        <p>
          Pulls of <span className="font-mono font-medium text-slate-900">{name}</span> will get image <span className="font-mono">{shortDigest(props.digest)}</span>. The change is
          recorded in the tag history and can be undone the same way.
        </p>
      </ConfirmDialog>
    </>
  )
}
