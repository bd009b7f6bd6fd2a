'use client'
// Loads one API URL, keeps the last good answer while reloading, and can poll while the answer says
// something is still being computed (the background "compressed" size).
import { useCallback, useEffect, useRef, useState } from 'react'
import { ApiFailure, apiRequest } from './api-client'

export type ApiState<T> = {
  data: T | null
  error: ApiFailure | null
  loading: boolean
  reload: () => void
}

export function useApi<T>(url: string | null, opts: { pollMs?: number; pollWhile?: (data: T) => boolean } = {}): ApiState<T> {
  const [data, setData] = useState<T | null>(null)
  const [error, setError] = useState<ApiFailure | null>(null)
  const [loading, setLoading] = useState(url !== null)
  const [generation, setGeneration] = useState(0)
  const pollWhile = useRef(opts.pollWhile)
  pollWhile.current = opts.pollWhile
  const pollMs = opts.pollMs ?? 2000

  // A new URL is a different resource: do not show the previous one's data under it.
  const [shownUrl, setShownUrl] = useState(url)
  if (shownUrl !== url) {
    setShownUrl(url)
    setData(null)
    setError(null)
  }

  useEffect(() => {
    if (url === null) return
    let cancelled = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const controller = new AbortController()
    setLoading(true)
    apiRequest<T>(url, { signal: controller.signal })
      .then((d) => {
        if (cancelled) return
        setData(d)
        setError(null)
        if (pollWhile.current?.(d)) timer = setTimeout(() => setGeneration((g) => g + 1), pollMs)
      })
      .catch((e) => {
        if (cancelled) return
        setError(e instanceof ApiFailure ? e : new ApiFailure(0, 'UNEXPECTED', String(e)))
      })
      .finally(() => {
        if (!cancelled) setLoading(false)
      })
    return () => {
      cancelled = true
      controller.abort()
      clearTimeout(timer)
    }
  }, [url, generation, pollMs])

  const reload = useCallback(() => setGeneration((g) => g + 1), [])
  return { data, error, loading, reload }
}
