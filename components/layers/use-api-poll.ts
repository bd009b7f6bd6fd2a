'use client'
// Fetches one console API URL and keeps its answer: 200 -> ready, 202 -> waiting (fetched again every
// 2 s until the server has built what it needs, like use-refresh-while.ts does for server pages),
// anything else -> the API's error. A newer URL wins over an older answer still in flight.
import { useEffect, useState } from 'react'
import { failureFrom } from '../api-client'
import type { Failure } from '../page-states'

export type Polled<T, W> =
  | { state: 'loading' }
  | { state: 'ready'; body: T }
  | { state: 'waiting'; body: W }
  | { state: 'failed'; error: Failure }

export function useApiPoll<T, W = { state: string }>(url: string | null, everyMs = 2000): Polled<T, W> {
  const [answer, setAnswer] = useState<{ url: string; value: Polled<T, W> } | null>(null)
  useEffect(() => {
    if (!url) return
    let stopped = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const controller = new AbortController()
    const load = async () => {
      let value: Polled<T, W>
      try {
        const res = await fetch(url, { cache: 'no-store', headers: { Accept: 'application/json' }, signal: controller.signal })
        const text = await res.text()
        if (res.status === 200) value = { state: 'ready', body: JSON.parse(text) as T }
        else if (res.status === 202) value = { state: 'waiting', body: JSON.parse(text) as W }
        else value = { state: 'failed', error: failureFrom(res.status, text) }
      } catch {
        if (stopped) return
        value = { state: 'failed', error: { status: 0, code: 'NETWORK', message: 'the server cannot be reached; check your connection and try again' } }
      }
      if (stopped) return
      setAnswer({ url, value })
      if (value.state === 'waiting') timer = setTimeout(load, everyMs)
    }
    void load()
    return () => {
      stopped = true
      controller.abort()
      clearTimeout(timer)
    }
  }, [url, everyMs])
  // an answer for an earlier URL is not shown as this URL's answer
  return answer && answer.url === url ? answer.value : { state: 'loading' }
}
