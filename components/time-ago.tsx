'use client'
// A relative time ("5 minutes ago") with the exact UTC time on hover; refreshes every minute. The
// server (and the first client render, so hydration matches) shows the exact time; the relative one
// follows once the page runs in the browser.
import { useEffect, useState } from 'react'
import { formatDateTime, formatRelativeTime } from '@/lib/format'

export function TimeAgo({ at }: { at: string | null | undefined }) {
  const [now, setNow] = useState<number | null>(null)
  useEffect(() => {
    setNow(Date.now())
    const t = setInterval(() => setNow(Date.now()), 60_000)
    return () => clearInterval(t)
  }, [])
  if (!at) return <span className="text-slate-600">—</span>
  return (
    <time dateTime={at} title={formatDateTime(at)}>
      {now === null ? formatDateTime(at) : formatRelativeTime(at, now)}
    </time>
  )
}
