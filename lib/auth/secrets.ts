// Random secrets and their stored form. Secrets we generate have 256 bits of entropy, so a plain
// SHA-256 is enough to store them (passwords, chosen by people, use argon2id: passwords.ts).
import crypto from 'node:crypto'

export const randomSecret = (bytes = 32) => crypto.randomBytes(bytes).toString('base64url')
export const sha256Hex = (s: string) => crypto.createHash('sha256').update(s).digest('hex')

/** Constant-time comparison of two hex digests (or any two strings of equal length). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && crypto.timingSafeEqual(x, y)
}
