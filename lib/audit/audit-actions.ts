// The audit log's actions: what recordAudit writes (audit-log.ts) and what the console's audit page
// offers as a filter. Plain data, so client code can import it.
export const AUDIT_ACTIONS = [
  'session.sign-in',
  'session.sign-out',
  'session.sign-out-everywhere',
  'setup.admin-created',
  'upload',
  'manifest.push',
  'manifest.delete',
  'blob.delete',
  'tag.set',
  'tag.delete',
  'repository.visibility',
  'organization.create',
  'organization.settings',
  'member.set',
  'member.remove',
  'user.create',
  'user.update',
  'token.create',
  'token.revoke',
  'access.denied',
  'gc.run',
  'retention.set',
  'retention.delete',
  'retention.run',
] as const

export type AuditAction = (typeof AUDIT_ACTIONS)[number]
