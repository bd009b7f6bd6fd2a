'use client'
// The host (and scheme) the browser reached this console on: registry clients pull from the same place.
import { useSyncExternalStore } from 'react'

const subscribe = () => () => {}

export function useRegistryHost(): { host: string; secure: boolean } | null {
  const host = useSyncExternalStore(subscribe, () => window.location.host, () => '')
  const secure = useSyncExternalStore(subscribe, () => window.location.protocol === 'https:', () => false)
  return host ? { host, secure } : null
}
