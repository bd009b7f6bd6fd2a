// The single place where every API request is authorized. Stowage has no users yet, so every caller
// is the anonymous administrator; namespaces, roles and `docker login` tokens will plug in here and
// nowhere else (both the console API and /v2/ call this before doing anything).
import type { IncomingMessage } from 'node:http'

export type Action = 'read' | 'write' | 'delete'
export type Resource = { kind: 'catalog' } | { kind: 'repository'; name: string } | { kind: 'upload' }
export type Principal = { id: string; anonymous: boolean }

export type Decision = { allowed: true; principal: Principal } | { allowed: false; status: 401 | 403; reason: string }

export function authorize(_req: IncomingMessage, _action: Action, _resource: Resource): Decision {
  return { allowed: true, principal: { id: 'anonymous', anonymous: true } }
}
