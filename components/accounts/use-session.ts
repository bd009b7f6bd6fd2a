'use client'
// Who is signed in, as GET /api/session answers, shared by every component of the page (one request
// per page load). Anonymous = the API's 401. Used to show only the controls the user may use; the
// server decides again on every request.
import { useSyncExternalStore } from 'react'
import { ApiFailure, apiRequest } from '../api-client'
import { roleRank } from '@/lib/auth/roles'
import { organizationOf } from '@/lib/auth/account-names'
import { accountUrls, type Role, type SessionInfo } from './accounts-api'

export type SessionState = { status: 'loading' } | { status: 'anonymous' } | { status: 'error'; message: string } | { status: 'signed-in'; session: SessionInfo }

let state: SessionState = { status: 'loading' }
const listeners = new Set<() => void>()
const LOADING: SessionState = { status: 'loading' }

function set(next: SessionState) {
  state = next
  for (const l of listeners) l()
}

/** (Re)reads the session, e.g. after the user's roles changed. */
export async function refreshSession() {
  try {
    set({ status: 'signed-in', session: await apiRequest<SessionInfo>(accountUrls.session) })
  } catch (e) {
    set(e instanceof ApiFailure && e.status === 401 ? { status: 'anonymous' } : { status: 'error', message: String(e instanceof Error ? e.message : e) })
  }
}

// Read again whenever a page starts using it (a sign-in or role change since the last page shows).
function subscribe(l: () => void) {
  if (listeners.size === 0) void refreshSession()
  listeners.add(l)
  return () => listeners.delete(l)
}

export function useSession(): SessionState {
  return useSyncExternalStore(
    subscribe,
    () => state,
    () => LOADING,
  )
}

/** The signed-in user's role in an organization; administrators count as owners everywhere. */
export function roleOf(s: SessionState, organization: string): Role | null {
  if (s.status !== 'signed-in') return null
  if (s.session.user.admin) return 'owner'
  return s.session.organizations.find((o) => o.name === organization)?.role ?? null
}

export const mayPush = (s: SessionState, organization: string) => roleRank(roleOf(s, organization)) >= roleRank('push')
export const mayManage = (s: SessionState, organization: string) => roleRank(roleOf(s, organization)) >= roleRank('owner')
export const isAdmin = (s: SessionState) => s.status === 'signed-in' && s.session.user.admin

/** May the user push to (and delete tags of) this repository? null while the session loads. */
export function useMayPush(repository: string): boolean | null {
  const s = useSession()
  if (s.status === 'loading') return null
  // the session could not be read: show the control and let the server decide
  if (s.status === 'error') return true
  return mayPush(s, organizationOf(repository))
}
