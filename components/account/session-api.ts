// The browser side of sign-in, setup and sign-out (API contract: notes in README / AUTH-DESIGN). Plain
// same-origin fetches: the browser sends Origin, and the server refuses cookie writes from other origins.
import { ApiFailure, failureFrom } from '../api-client'

export type SignInFailure = { kind: 'wrong' } | { kind: 'throttled'; retryAfterSeconds: number | null } | { kind: 'other'; message: string }

async function send(url: string, method: string, body?: unknown): Promise<Response> {
  try {
    return await fetch(url, {
      method,
      headers: body === undefined ? undefined : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  } catch {
    throw new ApiFailure(0, 'NETWORK', 'the server cannot be reached')
  }
}

/** POST /api/session: null when signed in, else why not. */
export async function signIn(user: string, password: string): Promise<SignInFailure | null> {
  let res: Response
  try {
    res = await send('/api/session', 'POST', { user, password })
  } catch (e) {
    return { kind: 'other', message: (e as Error).message }
  }
  if (res.ok) return null
  if (res.status === 401) return { kind: 'wrong' }
  if (res.status === 429) {
    const after = Number(res.headers.get('Retry-After'))
    return { kind: 'throttled', retryAfterSeconds: Number.isFinite(after) && after > 0 ? Math.ceil(after) : null }
  }
  return { kind: 'other', message: failureFrom(res.status, await res.text()).message }
}

/** POST /api/setup: the first administrator, signed in at once. Throws ApiFailure. */
export async function completeSetup(token: string, user: string, password: string): Promise<void> {
  const res = await send('/api/setup', 'POST', { token, user, password })
  if (!res.ok) throw failureFrom(res.status, await res.text())
}

/** DELETE /api/session (`everywhere`: every session of the user ends). Throws ApiFailure. */
export async function signOut(everywhere: boolean): Promise<void> {
  const res = await send(`/api/session${everywhere ? '?everywhere=true' : ''}`, 'DELETE')
  if (!res.ok && res.status !== 401) throw failureFrom(res.status, await res.text())
}
