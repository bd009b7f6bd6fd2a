'use client'
// Re-renders the server page a few seconds after each render while `pending` (a size measured in the
// background), so the numbers appear without a reload; one refresh at a time, none once complete.
import { useRouter } from 'next/navigation'
import { useEffect } from 'react'

export function useRefreshWhile(pending: boolean, data: unknown, afterMs = 2000) {
  const router = useRouter()
  useEffect(() => {
    if (!pending) return
    const t = setTimeout(() => router.refresh(), afterMs)
    return () => clearTimeout(t)
  }, [pending, data, afterMs, router])
}
