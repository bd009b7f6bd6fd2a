'use client'
// The first administrator: user, password, confirmation → POST /api/setup with the link's token. The
// server checks names, password rules and the token; the answer signs the new administrator in.
import { useState, type FormEvent } from 'react'
import { Spinner } from '../page-states'
import { completeSetup } from './session-api'

export function SetupForm({ token }: { token: string }) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault()
    const form = new FormData(e.currentTarget)
    const password = String(form.get('password') ?? '')
    if (password !== String(form.get('confirm') ?? '')) return setError('The two passwords differ.')
    setBusy(true)
    setError(null)
    try {
      await completeSetup(token, String(form.get('user') ?? '').trim(), password)
      window.location.assign('/')
    } catch (e) {
      setError((e as Error).message)
      setBusy(false)
    }
  }

  return (
    <form onSubmit={submit} className="mt-5 space-y-4" data-testid="setup-form">
      <label className="block text-sm font-medium text-slate-800">
        User name
        <input name="user" defaultValue="admin" autoComplete="username" autoCapitalize="none" spellCheck={false} required className="input mt-1" />
      </label>
      <label className="block text-sm font-medium text-slate-800">
        Password
        <input name="password" type="password" autoComplete="new-password" required className="input mt-1" />
      </label>
      <label className="block text-sm font-medium text-slate-800">
        Confirm password
        <input name="confirm" type="password" autoComplete="new-password" required className="input mt-1" />
      </label>
      {error && (
        <p role="alert" className="rounded-lg bg-red-50 px-3 py-2 text-sm text-red-800" data-testid="setup-error">
          {error}
        </p>
      )}
      <button type="submit" disabled={busy} className="btn-primary w-full">
        {busy && <Spinner />}
        Create administrator
      </button>
    </form>
  )
}
