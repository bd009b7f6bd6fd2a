// The first administrator through the one-time setup link (lib/auth/first-admin.ts makes the token).
import type { IncomingMessage } from 'node:http'
import type { Services } from '../services'
import { completeSetup, needsSetup } from '../auth/first-admin'
import { hashPassword, passwordProblem } from '../auth/passwords'
import { userNameProblem } from '../auth/account-names'
import { createSession } from '../auth/sessions'
import { clientAddress } from '../http/client-address'
import { recordAudit } from '../audit/audit-log'
import { ApiError } from '../http/respond'

export async function setUpFirstAdmin(services: Services, req: IncomingMessage, input: { token: string; user: string; password: string }) {
  const nameProblem = userNameProblem(input.user)
  if (nameProblem) throw new ApiError(400, 'NAME_INVALID', nameProblem)
  const weak = passwordProblem(input.password)
  if (weak) throw new ApiError(400, 'PASSWORD_INVALID', weak)
  // checked before hashing: once set up, nobody can make the server spend argon2 time here
  if (!(await needsSetup(services.db))) throw new ApiError(409, 'SETUP_DONE', 'Stowage is set up already; sign in instead')
  if (!(await completeSetup(services.db, input.token, input.user, await hashPassword(input.password)))) {
    await recordAudit(services, req, { action: 'setup.admin-created', outcome: 'failed', actor: input.user, target: input.user, detail: { reason: 'wrong or used setup token' } })
    throw new ApiError(403, 'DENIED', 'the setup token is wrong or was used already (the server prints a new link at each start while no user exists)')
  }
  const user = await services.db.user.findUniqueOrThrow({ where: { name: input.user } })
  const secret = await createSession(services.db, user.id, { address: clientAddress(services, req), userAgent: req.headers['user-agent'] ?? null })
  await recordAudit(services, req, { action: 'setup.admin-created', actor: user.name, target: user.name })
  return { user: { name: user.name, admin: user.admin }, secret }
}
