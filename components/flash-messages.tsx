'use client'
// Where flash() confirmations appear: a polite live region at the bottom of the screen; each message
// goes away by itself after a few seconds or when dismissed.
import { useEffect } from 'react'
import { dismissFlash, useFlashes, type Flash } from './flash'

const SHOWN_MS = 8000

function Message({ m }: { m: Flash }) {
  useEffect(() => {
    const t = setTimeout(() => dismissFlash(m.id), SHOWN_MS)
    return () => clearTimeout(t)
  }, [m.id])
  return (
    <div data-testid="flash" className="pointer-events-auto flex items-start gap-3 rounded-lg border border-emerald-200 bg-white px-4 py-3 text-sm text-slate-900 shadow-lg">
      <svg viewBox="0 0 20 20" className="mt-0.5 h-4 w-4 shrink-0 text-emerald-700" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
        <path d="M4 10.5l4 4 8-9" strokeLinecap="round" strokeLinejoin="round" />
      </svg>
      <p className="min-w-0 flex-1 break-words">{m.text}</p>
      <button type="button" onClick={() => dismissFlash(m.id)} className="rounded p-0.5 text-slate-600 hover:bg-slate-100 hover:text-slate-900" aria-label="Dismiss">
        <svg viewBox="0 0 20 20" className="h-4 w-4" fill="none" stroke="currentColor" strokeWidth="1.8" aria-hidden="true">
          <path d="m5 5 10 10M15 5 5 15" strokeLinecap="round" />
        </svg>
      </button>
    </div>
  )
}

export function FlashMessages() {
  const messages = useFlashes()
  return (
    <div role="status" aria-live="polite" className="pointer-events-none fixed inset-x-0 bottom-4 z-30 mx-auto flex w-full max-w-md flex-col gap-2 px-4">
      {messages.map((m) => (
        <Message key={m.id} m={m} />
      ))}
    </div>
  )
}
