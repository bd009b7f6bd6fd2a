'use client'
// The busy flag and error message around one request a form or button makes (create, save, revoke):
// the account pages' actions all run the same way.
import { useState } from 'react'
import { actionMessage } from './use-api'

export type Action = { busy: boolean; error: string | null; run: (work: () => Promise<unknown>) => Promise<boolean> }

/** run(work): clears the last error, runs work, keeps its failure's message; answers whether it succeeded. */
export function useAction(): Action {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const run = async (work: () => Promise<unknown>) => {
    setBusy(true)
    setError(null)
    try {
      await work()
      return true
    } catch (e) {
      setError(actionMessage(e))
      return false
    } finally {
      setBusy(false)
    }
  }
  return { busy, error, run }
}
