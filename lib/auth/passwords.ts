// Passwords are stored as argon2id PHC strings (@node-rs/argon2: hashing runs on libuv's thread
// pool, so a sign-in does not block the event loop). OWASP's minimum parameters: 19 MiB, t=2, p=1.
import { hash, verify } from '@node-rs/argon2'

const ARGON2ID = 2 // Algorithm.Argon2id (a const enum, not importable under isolatedModules)
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 }
export const MIN_PASSWORD_LENGTH = 8
export const MAX_PASSWORD_LENGTH = 1024

export function passwordProblem(password: unknown): string | null {
  if (typeof password !== 'string') return 'a password is required'
  if (password.length < MIN_PASSWORD_LENGTH) return `the password must have at least ${MIN_PASSWORD_LENGTH} characters`
  if (password.length > MAX_PASSWORD_LENGTH) return `the password must have at most ${MAX_PASSWORD_LENGTH} characters`
  return null
}

export const hashPassword = (password: string) => hash(password, OPTIONS)

// A user that does not exist costs as much as a wrong password, so timing does not tell names apart.
let decoy: Promise<string> | null = null

export async function verifyPassword(stored: string | null | undefined, password: string): Promise<boolean> {
  if (password.length > MAX_PASSWORD_LENGTH) return false
  if (!stored) {
    decoy ??= hashPassword('stowage-decoy-password')
    await verify(await decoy, password).catch(() => false)
    return false
  }
  return verify(stored, password).catch(() => false)
}
