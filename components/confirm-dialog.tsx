'use client'
// A modal confirmation on the native <dialog>: focus is trapped, Escape cancels.
import { useEffect, useId, useRef, type ReactNode } from 'react'
import { Spinner } from './page-states'

export function ConfirmDialog(props: {
  open: boolean
  title: string
  children: ReactNode
  confirmLabel: string
  busy?: boolean
  /** red for destructive actions (the default), indigo otherwise */
  tone?: 'danger' | 'primary'
  error?: string | null
  onConfirm: () => void
  onCancel: () => void
}) {
  const ref = useRef<HTMLDialogElement>(null)
  // one dialog per row: each needs its own title id for its accessible name
  const titleId = useId()
  useEffect(() => {
    const d = ref.current
    if (!d) return
    if (props.open && !d.open) d.showModal()
    if (!props.open && d.open) d.close()
  }, [props.open])

  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault()
        if (!props.busy) props.onCancel()
      }}
      className="m-auto w-[calc(100%-2rem)] max-w-md rounded-xl border border-slate-200 bg-white p-0 text-slate-900 shadow-xl"
    >
      <div className="p-6">
        <h2 id={titleId} className="text-lg font-semibold">
          {props.title}
        </h2>
        <div className="mt-2 text-sm text-slate-600">{props.children}</div>
        {props.error && (
          <p role="alert" className="mt-3 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
            {props.error}
          </p>
        )}
      </div>
      <div className="flex flex-wrap justify-end gap-3 rounded-b-xl border-t border-slate-100 bg-slate-50 px-6 py-4">
        <button type="button" className="btn-secondary" onClick={props.onCancel} disabled={props.busy} autoFocus>
          Cancel
        </button>
        <button type="button" className={props.tone === 'primary' ? 'btn-primary' : 'btn-danger'} onClick={props.onConfirm} disabled={props.busy}>
          {props.busy && <Spinner className="h-4 w-4 text-white" />}
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  )
}
