// Loading, error and empty states shared by the console pages.
import Link from 'next/link'
import type { ReactNode } from 'react'
import { MessageText } from './message-text'

export function Spinner({ className = 'h-4 w-4' }: { className?: string }) {
  return (
    <svg className={`animate-spin text-indigo-600 ${className}`} viewBox="0 0 24 24" fill="none" aria-hidden="true">
      <circle cx="12" cy="12" r="9" stroke="currentColor" strokeOpacity="0.2" strokeWidth="3" />
      <path d="M21 12a9 9 0 0 0-9-9" stroke="currentColor" strokeWidth="3" strokeLinecap="round" />
    </svg>
  )
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div role="status" className="flex items-center justify-center gap-3 rounded-xl border border-slate-200 bg-white px-6 py-16 text-sm text-slate-600">
      <Spinner className="h-5 w-5" />
      {label}
    </div>
  )
}

/** An error as the API answers it (ApiFailure on the client, a plain object from a server component). */
export type Failure = { status: number; code: string; message: string }

const TITLES: Record<string, string> = {
  REPOSITORY_NOT_FOUND: 'Repository not found',
  TAG_NOT_FOUND: 'Tag not found',
  MANIFEST_NOT_FOUND: 'Image not found',
  UNAVAILABLE: 'The console cannot read the registry',
  NOT_FOUND: 'Not found',
  NETWORK: 'Cannot reach the server',
  UNAUTHORIZED: 'Sign-in required',
  DENIED: 'Not allowed',
}

export function ErrorPanel({ error, onRetry, children }: { error: Failure; onRetry?: () => void; children?: ReactNode }) {
  const title = TITLES[error.code] ?? (error.status >= 500 ? 'The server had a problem' : 'Something went wrong')
  return (
    <div role="alert" data-testid="error-panel" className="rounded-xl border border-red-200 bg-white px-6 py-10 text-center">
      <div className="mx-auto mb-3 flex h-10 w-10 items-center justify-center rounded-full bg-red-50 text-lg font-bold text-red-600">!</div>
      <h2 className="text-lg font-semibold text-slate-900">{title}</h2>
      <p className="mt-1 text-sm text-slate-600">
        <MessageText text={error.message} />
      </p>
      <p className="mt-1 font-mono text-xs text-slate-600">
        {error.code}
        {error.status ? ` · HTTP ${error.status}` : ''}
      </p>
      <div className="mt-5 flex justify-center gap-3">
        {onRetry && error.status !== 404 && (
          <button type="button" onClick={onRetry} className="btn-secondary">
            Try again
          </button>
        )}
        {children}
      </div>
    </div>
  )
}

export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: { href: string; label: string } }) {
  return (
    <div className="rounded-xl border border-dashed border-slate-300 bg-white px-6 py-14 text-center">
      <h2 className="text-base font-semibold text-slate-900">{title}</h2>
      {children && <div className="mx-auto mt-2 max-w-md text-sm text-slate-600">{children}</div>}
      {action && (
        <Link href={action.href} className="btn-primary mt-6">
          {action.label}
        </Link>
      )}
    </div>
  )
}

/** A page whose data is not there: its breadcrumbs, then the error (with `back`, a way out) or a spinner. */
export function PendingPage({
  crumbs,
  error,
  onRetry,
  back,
  loadingLabel,
}: {
  crumbs: ReactNode
  error: Failure | null | undefined
  onRetry: () => void
  back: ReactNode
  loadingLabel: string
}) {
  return (
    <>
      {crumbs}
      {error ? (
        <ErrorPanel error={error} onRetry={onRetry}>
          {back}
        </ErrorPanel>
      ) : (
        <Loading label={loadingLabel} />
      )}
    </>
  )
}
