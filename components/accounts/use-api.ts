'use client'
// Loads one API answer for a client page: data, the API's error, and reload() after a change.
import { useCallback, useEffect, useState } from 'react'
import { ApiFailure, apiRequest } from '../api-client'
import type { Failure } from '../page-states'

export type Loaded<T> = { data: T | null; error: Failure | null; loading: boolean; reload: () => Promise<void> }

export const asFailure = (e: unknown): Failure =>
  e instanceof ApiFailure ? { status: e.status, code: e.code, message: e.message } : { status: 0, code: 'UNEXPECTED', message: String(e) }

/** url null: nothing to load yet. */
export function useApi<T>(url: string | null): Loaded<T> {
  const [data, setData] = useState<T | null>(null)
  const [error, setError] = useState<Failure | null>(null)
  const [loading, setLoading] = useState(url !== null)
  const reload = useCallback(async () => {
    if (!url) return
    setLoading(true)
    try {
      setData(await apiRequest<T>(url))
      setError(null)
    } catch (e) {
      setError(asFailure(e))
    } finally {
      setLoading(false)
    }
  }, [url])
  useEffect(() => {
    void reload()
  }, [reload])
  return { data, error, loading, reload }
}

/** A message for a failed action, shown next to the form that made it. */
export const actionMessage = (e: unknown) => (e instanceof ApiFailure ? `${e.message} (${e.code})` : String(e))
