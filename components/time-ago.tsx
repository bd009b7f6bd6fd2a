'use client'
// A relative time ("5 minutes ago") with the exact UTC time on hover; refreshes every minute.
import { useEffect, useState } from 'react'
import { formatDateTime, formatRelativeTime } from '@/lib/format'

export function TimeAgo({ at }: { at: string | null | undefined }) {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 60_000)
    return () => clearInterval(t)
  }, [])
  if (!at) return <span className="text-slate-400">—</span>
  return (
    <time dateTime={at} title={formatDateTime(at)}>
      {formatRelativeTime(at, now)}
    </time>
  )
}
