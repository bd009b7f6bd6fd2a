// Entry point of retention policies (implemented in lib/retention/*; see /work/notes/DESIGN-11.md while building).
import type { Services } from '../services'

export type RetentionDeletion = { repository: string; tag: string | null; digest: string; reason: 'keep-latest' | 'untagged' }

export type RetentionResult = {
  dryRun: boolean
  policies: number
  /** tags (tag set) and untagged manifests (tag null) deleted, or that would be */
  deleted: RetentionDeletion[]
  kept: number
}

export async function runRetention(_services: Services, _opts: { dryRun: boolean; policyId?: number; actor?: string | null }): Promise<RetentionResult> {
  throw new Error('retention: not built yet')
}
