// Roles in an organization, weakest first. Each includes what the ones before it may do.
export const ROLES = ['pull', 'push', 'owner'] as const
export type Role = (typeof ROLES)[number]
export const isRole = (s: unknown): s is Role => typeof s === 'string' && (ROLES as readonly string[]).includes(s)
export const roleRank = (role: string | null | undefined) => (role ? ROLES.indexOf(role as Role) + 1 : 0)
