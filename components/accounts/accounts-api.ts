// The account API's answers (AUTH-DESIGN.md "API contract") as the console reads them, and the calls
// the account pages make. Same origin: the session cookie goes along, and the server's CSRF check
// accepts these requests because they come from Stowage's own pages.
import { apiRequest } from '../api-client'
import type { Role } from '@/lib/auth/roles'
import type { AuditEventView } from '@/lib/audit/audit-query'

export type { Role }
export type TokenAccess = 'pull' | 'push'

export type SessionInfo = { user: { name: string; admin: boolean; kind: string }; organizations: { name: string; role: Role }[] }
export type OrganizationSummary = { name: string; role: Role | null; repositories: number; createdAt: string }
export type Member = { user: string; role: Role; kind: 'user' | 'robot' | string }
export type OrganizationSettings = { pushRatePerSecond: number | null; quotaRepositories: number | null; quotaTagsPerRepository: number | null; quotaBytes: number | null }
export type OrganizationUsage = { repositories: number; tags: number; bytes: number }
export type OrganizationDetail = { name: string; role: Role | null; members: Member[]; settings: OrganizationSettings; usage: OrganizationUsage }
export type UserSummary = { name: string; admin: boolean; kind: string; createdAt: string }
export type AccessToken = {
  id: string
  name: string
  organization: string | null
  access: TokenAccess
  expiresAt: string | null
  lastUsedAt: string | null
  createdAt: string
  revokedAt: string | null
  user: string
}
export type CreatedToken = Partial<AccessToken> & { token: string; id: string }
/** GET /api/audit's events, as lib/audit/audit-query.ts answers them */
export type AuditEvent = AuditEventView

const seg = encodeURIComponent
const json = (method: string, body: unknown): RequestInit => ({ method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })

export const accountUrls = {
  session: '/api/session',
  organizations: '/api/organizations',
  organization: (org: string) => `/api/organizations/${seg(org)}`,
  member: (org: string, user: string) => `/api/organizations/${seg(org)}/members/${seg(user)}`,
  robots: (org: string) => `/api/organizations/${seg(org)}/robots`,
  users: '/api/users',
  tokens: '/api/tokens',
  token: (id: string) => `/api/tokens/${seg(id)}`,
  audit: (filter: Record<string, string>, format?: 'jsonl') => {
    const q = new URLSearchParams(Object.entries(filter).filter(([, v]) => v !== ''))
    if (format) q.set('format', format)
    const s = q.toString()
    return s ? `/api/audit?${s}` : '/api/audit'
  },
  repository: (name: string) => `/api/repositories/${name.split('/').map(seg).join('/')}`,
}

export const accountsApi = {
  createOrganization: (name: string) => apiRequest<unknown>(accountUrls.organizations, json('POST', { name })),
  updateSettings: (org: string, settings: Partial<OrganizationSettings>) => apiRequest<unknown>(accountUrls.organization(org), json('PATCH', settings)),
  setMember: (org: string, user: string, role: Role) => apiRequest<unknown>(accountUrls.member(org, user), json('PUT', { role })),
  removeMember: (org: string, user: string) => apiRequest<void>(accountUrls.member(org, user), { method: 'DELETE' }),
  createRobot: (org: string, name: string, role: Role) => apiRequest<unknown>(accountUrls.robots(org), json('POST', { name, role })),
  createUser: (name: string, password: string, admin: boolean) => apiRequest<unknown>(accountUrls.users, json('POST', { name, password, admin })),
  createToken: (input: { name: string; organization: string | null; access: TokenAccess; expiresAt: string | null; robot?: string }) =>
    apiRequest<CreatedToken>(accountUrls.tokens, json('POST', input)),
  revokeToken: (id: string) => apiRequest<void>(accountUrls.token(id), { method: 'DELETE' }),
  setPublic: (repository: string, isPublic: boolean) => apiRequest<unknown>(accountUrls.repository(repository), json('PATCH', { public: isPublic })),
}
