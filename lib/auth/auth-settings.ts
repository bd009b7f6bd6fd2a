// The access-control parts of a running Stowage (Services.auth).
export type AuthSettings = {
  /**
   * Every caller without credentials acts as an administrator. Only tests of features that are not
   * about access control set it (tests/helpers/http-stack.ts); no configuration reaches it.
   */
  openAccess?: boolean
  /** the `service` of registry tokens (their audience); default "stowage" */
  service?: string
  /** lifetime of registry tokens; default 300 s */
  registryTokenSeconds?: number
  /** HMAC key of registry tokens, loaded from the database on first use */
  registryTokenKey?: Promise<Uint8Array>
  /** sign-in throttling (guessing passwords); none = unthrottled */
  signInThrottle?: SignInThrottle
}

/** Limits password guessing per user name and per client address. */
export interface SignInThrottle {
  /** resolves when an attempt may be made, else throws ThrottledError (with seconds to wait) */
  before(user: string, address: string): Promise<void>
  failed(user: string, address: string): Promise<void>
  succeeded(user: string, address: string): Promise<void>
}

export class ThrottledError extends Error {
  constructor(public retryAfterSeconds: number, message = `too many failed sign-in attempts; try again in ${retryAfterSeconds} s`) {
    super(message)
    this.name = 'ThrottledError'
  }
}

export const DEFAULT_SERVICE = 'stowage'
export const DEFAULT_REGISTRY_TOKEN_SECONDS = 300
