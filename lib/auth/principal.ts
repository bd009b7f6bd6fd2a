// Who is asking. Every request resolves to exactly one principal (authenticate.ts) before anything
// is decided about it (policy.ts).
export type TokenLimits = {
  /** an access token is limited to this organization (null = every organization of its owner) */
  organizationId: number | null
  access: 'pull' | 'push'
  tokenId: string
}

/** What a registry bearer token (JWT) grants, per "type:name": its `access` claims. */
export type RegistryGrants = Map<string, Set<string>>

export type UserPrincipal = {
  kind: 'user'
  id: number
  name: string
  admin: boolean
  robot: boolean
  /** how the request proved it: a console session cookie, a password, an access token, a registry token */
  via: 'session' | 'password' | 'access-token' | 'registry-token'
  /** set when it authenticated with an access token (directly or through a registry token made from one) */
  token?: TokenLimits
  /** set when it authenticated with a registry token: it may do no more than the token's access claims */
  grants?: RegistryGrants
  /** the session's id (sha256 of the cookie secret), for sign-out */
  sessionId?: string
}

/** anonymous; `viaToken` when it holds an anonymous registry token (public pulls) */
export type Principal = { kind: 'anonymous'; viaToken?: boolean } | UserPrincipal

export const ANONYMOUS: Principal = { kind: 'anonymous' }

export const displayName = (p: Principal) => (p.kind === 'user' ? p.name : 'anonymous')
