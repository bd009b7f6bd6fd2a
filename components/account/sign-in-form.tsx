'use client'
// User + password → POST /api/session. Wrong credentials and throttling (with the wait) are said plainly;
// on success a full page load to `next`, so every server-rendered part sees the new session.
import { useState, type FormEvent } from 'react'
import { Spinner } from '../page-states'
import { signIn, type SignInFailure } from './session-api'
import { safeNext } from '@/lib/console/safe-next'

function describe(f: SignInFailure): string {
  if (f.kind === 'wrong') return 'Wrong user name or password.'
  if (f.kind === 'throttled') return f.retryAfterSeconds ? `Too many failed attempts. Try again in ${f.retryAfterSeconds} s.` : 'Too many failed attempts. Try again later.'
  return f.message
}

export function SignInForm({ next }: { next: string }) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault()
    const form = new FormData(e.currentTarget)
    setBusy(true)
    setError(null)
    const failure = await signIn(String(form.get('user') ?? '').trim(), String(form.get('password') ?? ''))
    if (!failure) return window.location.assign(safeNext(next))
    setError(describe(failure))
    setBusy(false)
  }

  return (
    <form onSubmit={submit} className="mt-5 space-y-4" data-testid="sign-in-form">
      <label className="block text-sm font-medium text-slate-800">
        User name
        <input name="user" autoComplete="username" autoCapitalize="none" spellCheck={false} required className="input mt-1" />
      </label>
      <label className="block text-sm font-medium text-slate-800">
        Password
        <input name="password" type="password" autoComplete="current-password" required className="input mt-1" />
      </label>
      {error && (
        <p role="alert" className="rounded-lg bg-red-50 px-3 py-2 text-sm text-red-800" data-testid="sign-in-error">
          {error}
        </p>
      )}
      <button type="submit" disabled={busy} className="btn-primary w-full">
        {busy && <Spinner />}
        Sign in
      </button>
    </form>
  )
}
