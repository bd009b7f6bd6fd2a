// Entry point of expiry (implemented in lib/lifecycle/*; see /work/notes/DESIGN-11.md while building).
import type { Services } from '../services'

export type ExpiryResult = { uploadSessions: number; stagedObjects: number; multipartUploads: number; uploads: number }

export async function runExpiry(_services: Services): Promise<ExpiryResult> {
  throw new Error('expiry: not built yet')
}
