'use client'
// The header's account corner: "Sign in" for anonymous visitors; for a signed-in user their name,
// opening a menu with "Sign out" and "Sign out everywhere" (every session of the user ends).
import Link from 'next/link'
import { usePathname } from 'next/navigation'
import { useEffect, useRef, useState } from 'react'
import { signOut } from './session-api'

export type HeaderUser = { name: string; admin: boolean } | null

export function UserMenu({ user }: { user: HeaderUser }) {
  const pathname = usePathname() ?? '/'
  const [open, setOpen] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const box = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (!open) return
    const close = (e: MouseEvent | KeyboardEvent) => {
      if (e instanceof KeyboardEvent ? e.key === 'Escape' : !box.current?.contains(e.target as Node)) setOpen(false)
    }
    document.addEventListener('mousedown', close)
    document.addEventListener('keydown', close)
    return () => {
      document.removeEventListener('mousedown', close)
      document.removeEventListener('keydown', close)
    }
  }, [open])

  if (!user) {
    if (pathname.startsWith('/sign-in') || pathname.startsWith('/setup')) return null
    return (
      <Link href={`/sign-in?next=${encodeURIComponent(pathname)}`} className="btn-secondary shrink-0 px-3 py-1.5" prefetch={false}>
        Sign in
      </Link>
    )
  }

  const leave = async (everywhere: boolean) => {
    setBusy(true)
    setError(null)
    try {
      await signOut(everywhere)
      // a full load: every server-rendered part (header, pages) forgets the user
      window.location.assign('/sign-in')
    } catch (e) {
      setError((e as Error).message)
      setBusy(false)
    }
  }

  return (
    <div ref={box} className="relative shrink-0">
      <button
        type="button"
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
        className="flex max-w-[10rem] items-center gap-1 rounded-lg px-2 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-indigo-600"
        data-testid="user-menu"
      >
        <span className="truncate">{user.name}</span>
        {user.admin && <span className="rounded bg-slate-200 px-1 text-[10px] font-semibold text-slate-700 uppercase">admin</span>}
        <svg viewBox="0 0 20 20" className="h-4 w-4 shrink-0" fill="currentColor" aria-hidden="true">
          <path d="M5.3 7.3a1 1 0 0 1 1.4 0L10 10.6l3.3-3.3a1 1 0 1 1 1.4 1.4l-4 4a1 1 0 0 1-1.4 0l-4-4a1 1 0 0 1 0-1.4z" />
        </svg>
      </button>
      {open && (
        <div role="menu" className="absolute right-0 mt-1 w-56 rounded-lg border border-slate-200 bg-white py-1 shadow-lg">
          <p className="truncate px-3 py-2 text-xs text-slate-600">Signed in as {user.name}</p>
          <button type="button" role="menuitem" disabled={busy} onClick={() => leave(false)} className="block w-full px-3 py-2 text-left text-sm text-slate-800 hover:bg-slate-100 disabled:opacity-50">
            Sign out
          </button>
          <button type="button" role="menuitem" disabled={busy} onClick={() => leave(true)} className="block w-full px-3 py-2 text-left text-sm text-slate-800 hover:bg-slate-100 disabled:opacity-50">
            Sign out everywhere
          </button>
          {error && (
            <p role="alert" className="px-3 py-2 text-xs text-red-700">
              {error}
            </p>
          )}
        </div>
      )}
    </div>
  )
}
