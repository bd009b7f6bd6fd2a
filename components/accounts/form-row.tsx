// The account pages' small create forms (organization, user, member, robot): fields and the submit
// button on one wrapping row, then the name's problem, the server's error and what was done.
import type { ReactNode } from 'react'
import { FormError } from './parts'

export function FormRow({
  label,
  className = '',
  onSubmit,
  submitLabel,
  canSubmit,
  problem,
  error,
  status,
  children,
}: {
  /** the form's accessible name */
  label?: string
  className?: string
  onSubmit: () => unknown
  submitLabel: string
  /** false while busy or while the input is incomplete or invalid */
  canSubmit: boolean
  /** what is wrong with the input, shown as it is typed */
  problem?: string | null
  error: string | null
  /** shown after a success */
  status?: ReactNode
  children: ReactNode
}) {
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault()
        if (canSubmit) void onSubmit()
      }}
      aria-label={label}
      className={`space-y-3 ${className}`}
    >
      <div className="flex flex-wrap items-end gap-3">
        {children}
        <button type="submit" className="btn-primary" disabled={!canSubmit}>
          {submitLabel}
        </button>
      </div>
      {problem && <p className="text-xs text-red-700">{problem}</p>}
      <FormError message={error} />
      {status}
    </form>
  )
}
