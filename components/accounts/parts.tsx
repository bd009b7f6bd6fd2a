// Small pieces the account pages share: page title, section card, labelled field, form error, badges, role choice.
import type { ReactNode } from 'react'
import type { Role } from './accounts-api'
import { ROLES } from '@/lib/auth/roles'

export function PageTitle({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="mb-6 flex flex-wrap items-end justify-between gap-4">
      <div className="min-w-0">
        <h1 className="text-2xl font-semibold tracking-tight break-all">{title}</h1>
        {children && <div className="mt-1 text-sm text-slate-600">{children}</div>}
      </div>
      {action}
    </div>
  )
}

export function Section({ title, children, id, action }: { title: string; children: ReactNode; id?: string; action?: ReactNode }) {
  const headingId = id ? `${id}-title` : undefined
  return (
    <section className="card min-w-0" aria-labelledby={headingId} data-testid={id}>
      <div className="flex flex-wrap items-center justify-between gap-2 border-b border-slate-100 px-5 py-3">
        <h2 id={headingId} className="text-sm font-semibold text-slate-900">
          {title}
        </h2>
        {action}
      </div>
      <div className="min-w-0">{children}</div>
    </section>
  )
}

export function Field({ label, htmlFor, children, hint, className = '' }: { label: string; htmlFor: string; children: ReactNode; hint?: string; className?: string }) {
  return (
    <div className={`min-w-0 ${className}`}>
      <label htmlFor={htmlFor} className="mb-1 block text-xs font-medium text-slate-700">
        {label}
      </label>
      {children}
      {hint && <p className="mt-1 text-xs text-slate-600">{hint}</p>}
    </div>
  )
}

export function FormError({ message }: { message: string | null }) {
  if (!message) return null
  return (
    <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
      {message}
    </p>
  )
}

const ROLE_STYLE: Record<Role, string> = {
  owner: 'bg-indigo-50 text-indigo-800 ring-indigo-200',
  push: 'bg-emerald-50 text-emerald-800 ring-emerald-200',
  pull: 'bg-slate-100 text-slate-700 ring-slate-200',
}

export function RoleBadge({ role }: { role: Role | null }) {
  if (!role) return <span className="text-xs text-slate-600">—</span>
  return <span className={`inline-flex rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${ROLE_STYLE[role] ?? ROLE_STYLE.pull}`}>{role}</span>
}

/** A choice of role (pull, push, owner); `optionLabel` says what each allows where there is room. */
export function RoleSelect({ value, onChange, optionLabel = (r) => r, id, className = 'input', disabled, 'aria-label': ariaLabel }: { value: Role; onChange: (role: Role) => unknown; optionLabel?: (role: Role) => string; id?: string; className?: string; disabled?: boolean; 'aria-label'?: string }) {
  return (
    <select id={id} aria-label={ariaLabel} className={className} value={value} disabled={disabled} onChange={(e) => onChange(e.target.value as Role)}>
      {ROLES.map((r) => (
        <option key={r} value={r}>
          {optionLabel(r)}
        </option>
      ))}
    </select>
  )
}

/** Marks a repository anyone (also anonymous) may pull. */
export function PublicBadge() {
  return (
    <span data-testid="public-badge" className="inline-flex shrink-0 rounded-full bg-amber-50 px-2 py-0.5 text-xs font-medium text-amber-800 ring-1 ring-amber-200 ring-inset" title="anyone may pull this repository, also without signing in">
      public
    </span>
  )
}

/** A date as the browser's locale writes it; "—" for none. */
export function DateText({ at, fallback = '—' }: { at: string | null | undefined; fallback?: string }) {
  if (!at) return <span className="text-slate-600">{fallback}</span>
  const d = new Date(at)
  return (
    <time dateTime={at} title={d.toISOString()} suppressHydrationWarning>
      {d.toISOString().slice(0, 10)}
    </time>
  )
}
