// A byte count with the exact number on hover, and the placeholder of a size the server is still
// measuring in the background (compressed size of an uploaded layer, uncompressed size of a pushed one).
import { formatBytes, formatExactBytes } from '@/lib/format'

export type MeasureState = 'pending' | 'done' | 'failed'

export function Bytes({ value, className = '' }: { value: number | null | undefined; className?: string }) {
  if (value === null || value === undefined) return <span className={`text-slate-600 ${className}`}>—</span>
  return (
    <span className={`tabular-nums ${className}`} title={formatExactBytes(value)}>
      {formatBytes(value)}
    </span>
  )
}

/** A size that may not be known yet: the number once it is, "computing…" while it is measured. */
export function MeasuredBytes({ value, state, className = '' }: { value: number | null | undefined; state: string; className?: string }) {
  if (value !== null && value !== undefined) return <Bytes value={value} className={className} />
  if (state === 'failed')
    return (
      <span className={`text-amber-700 ${className}`} title="the background measurement failed; see the server log">
        unavailable
      </span>
    )
  if (state === 'pending')
    return (
      <span className={`inline-flex items-center gap-1.5 text-slate-600 italic ${className}`} title="being measured in the background">
        <span className="h-1.5 w-1.5 animate-pulse rounded-full bg-amber-400" aria-hidden="true" />
        computing…
      </span>
    )
  return <Bytes value={value} className={className} />
}
