// People's accounts (administrators manage them). Robots are made per organization (robots.ts).
import type { Services } from '../services'
import { userNameProblem } from '../auth/account-names'
import { hashPassword, passwordProblem } from '../auth/passwords'
import { isUniqueViolation } from '../db/client'
import { ApiError } from '../http/respond'

export async function listUsers(services: Services) {
  return services.db.user.findMany({ select: { name: true, admin: true, kind: true, createdAt: true }, orderBy: { name: 'asc' } })
}

export async function createUser(services: Services, input: { name: string; password: string; admin: boolean }) {
  const problem = userNameProblem(input.name)
  if (problem) throw new ApiError(400, 'NAME_INVALID', problem)
  const weak = passwordProblem(input.password)
  if (weak) throw new ApiError(400, 'PASSWORD_INVALID', weak)
  if (await services.db.user.findUnique({ where: { name: input.name }, select: { id: true } })) throw new ApiError(409, 'NAME_TAKEN', `user "${input.name}" exists already`)
  try {
    return await services.db.user.create({ data: { name: input.name, admin: input.admin, passwordHash: await hashPassword(input.password) }, select: { name: true, admin: true, kind: true, createdAt: true } })
  } catch (e) {
    if (isUniqueViolation(e)) throw new ApiError(409, 'NAME_TAKEN', `user "${input.name}" exists already`)
    throw e
  }
}
