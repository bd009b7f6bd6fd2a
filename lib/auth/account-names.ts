// Names of organizations and users, and which organization a repository belongs to. Names are one
// lower-case OCI path component, so "Acme" and "acme-" are not names at all (no look-alike squatting
// by case or trailing separators), and a few words the server's own paths use are reserved.
import { REPOSITORY_NAME } from '../registry/names'

const COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/
const RESERVED = new Set(['v2', 'api', 'admin', 'root', 'setup', 'sign-in', 'token', 'library', 'organizations', 'users', 'tokens', 'audit'])
export const MAX_ACCOUNT_NAME = 64

/** The organization owning a repository: its first path segment ("acme/team/app" → "acme"). */
export function organizationOf(repository: string): string {
  const slash = repository.indexOf('/')
  return slash < 0 ? repository : repository.slice(0, slash)
}

/** Places a repository name under an organization, unless it already is there ("team/app" → "acme/team/app"). */
export function placeInOrganization(organization: string, repository: string): string {
  return repository === organization || repository.startsWith(`${organization}/`) ? repository : `${organization}/${repository}`
}

function nameProblem(what: string, name: string, reserved = false): string | null {
  if (!name) return `the ${what} name is empty`
  if (name.length > MAX_ACCOUNT_NAME) return `the ${what} name is longer than ${MAX_ACCOUNT_NAME} characters`
  if (/[A-Z]/.test(name)) return `"${name}" has upper-case letters; ${what} names are lower-case`
  if (!COMPONENT.test(name)) return `"${name}" is not a valid ${what} name: lower-case letters and digits, with single ".", "_", "__" or "-" between them`
  if (reserved && RESERVED.has(name)) return `"${name}" is reserved`
  return null
}

export const organizationNameProblem = (name: string) => nameProblem('organization', name, true)

/** User names follow the organization rule; robot accounts are "<organization>+<name>". */
export function userNameProblem(name: string, kind: 'user' | 'robot' = 'user'): string | null {
  if (kind === 'robot') {
    const [org, robot, extra] = name.split('+')
    if (extra !== undefined || robot === undefined) return `a robot account is named "<organization>+<name>"`
    return organizationNameProblem(org) ?? nameProblem('robot', robot)
  }
  return nameProblem('user', name)
}

export const isRepositoryName = (s: string) => REPOSITORY_NAME.test(s)
