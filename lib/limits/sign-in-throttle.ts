// Sign-in throttling (the SignInThrottle of lib/auth/auth-settings.ts): after too many failed
// attempts for one user name, or from one client address, further attempts are refused before any
// password is checked, until the window ends. Per user name stops guessing one account from many
// addresses; per address stops one client spraying many names. A success clears the user's count.
//
// `before` only reads the counts and `failed` adds to them, so a script signing in with correct
// credentials many times in parallel is never refused; a burst of parallel wrong guesses can pass the
// bound by at most its own size once, after which every attempt is refused.
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible'
import { ThrottledError, type SignInThrottle } from '../auth/auth-settings'
import type { Redis } from './redis'
import { retryAfterSeconds } from './rate-limit'
import { sharedLimiter, type SharedCounters } from './shared-counters'

export type SignInThrottleOptions = {
  redis?: Redis | null
  /** shared counters in PostgreSQL when there is no Redis (shared-counters.ts) */
  postgres?: SharedCounters['postgres']
  keyPrefix?: string
  /** failed attempts per user name per window */
  perUser?: number
  /** failed attempts per client address per window */
  perAddress?: number
  windowSeconds?: number
  log?: (m: string) => void
}

export const SIGN_IN_DEFAULTS = { perUser: 10, perAddress: 50, windowSeconds: 15 * 60 }

/** Names are compared lower-case and bounded (a name is attacker input). */
export const userKey = (user: string) => user.toLowerCase().slice(0, 200)

export function createSignInThrottle(opts: SignInThrottleOptions = {}): SignInThrottle {
  const prefix = opts.keyPrefix ?? 'stowage'
  const windowSeconds = opts.windowSeconds ?? SIGN_IN_DEFAULTS.windowSeconds
  const log = opts.log ?? ((m: string) => console.error(m))
  const make = (what: string, points: number): RateLimiterAbstract => sharedLimiter(opts, { points, duration: windowSeconds, keyPrefix: `${prefix}:sign-in:${what}` })
  const byUser = make('user', opts.perUser ?? SIGN_IN_DEFAULTS.perUser)
  const byAddress = make('address', opts.perAddress ?? SIGN_IN_DEFAULTS.perAddress)

  // a limiter that cannot answer must not lock everybody out: the attempt goes on (argon2 still costs)
  const quietly = async <T>(what: string, work: Promise<T>): Promise<T | null> => {
    try {
      return await work
    } catch (e) {
      if (e instanceof RateLimiterRes) return null // over the limit already: nothing more to count
      log(`sign-in throttle: ${what} failed (${(e as Error).message})`)
      return null
    }
  }

  return {
    async before(user, address) {
      const [u, a] = await Promise.all([quietly('read', byUser.get(userKey(user))), quietly('read', byAddress.get(address))])
      const exhausted = [u && u.consumedPoints >= byUser.points ? u : null, a && a.consumedPoints >= byAddress.points ? a : null].filter((r) => r !== null)
      if (exhausted.length) throw new ThrottledError(retryAfterSeconds(Math.max(...exhausted.map((r) => r.msBeforeNext))))
    },
    async failed(user, address) {
      await Promise.all([quietly('count', byUser.consume(userKey(user))), quietly('count', byAddress.consume(address))])
    },
    async succeeded(user) {
      await quietly('reset', byUser.delete(userKey(user)))
    },
  }
}
