// The audit entry of one archive upload (POST /api/uploads): who, into which organization, which
// names, how many bytes, and whether it was kept, refused or failed. Dry runs store nothing and are
// not recorded.
import type { IncomingMessage } from 'node:http'
import type { Services } from '../services'
import type { Principal } from '../auth/principal'
import type { ImageName } from '../registry/names'
import { organizationOf } from '../auth/account-names'
import { recordAudit } from './audit-log'

export class UploadAudit {
  targets: ImageName[] = []
  private outcome: 'ok' | 'denied' | 'failed' = 'failed'
  private bytes: number | null = null
  private error: { code: string; message: string } | null = null

  constructor(
    private services: Services,
    private req: IncomingMessage,
    private actor: Principal,
    private organization: string | null,
    private dryRun: boolean,
  ) {}

  succeeded(result: { receivedBytes: number }) {
    this.outcome = 'ok'
    this.bytes = result.receivedBytes
  }

  failed(e: unknown) {
    const code = String((e as { code?: unknown })?.code ?? 'INTERNAL')
    this.outcome = code === 'DENIED' || code === 'UNAUTHORIZED' || code === 'QUOTA_EXCEEDED' ? 'denied' : 'failed'
    this.error = { code, message: String((e as Error)?.message ?? e).slice(0, 300) }
  }

  async record() {
    if (this.dryRun) return
    const names = [...new Set(this.targets.map((n) => `${n.repository}:${n.tag}`))]
    await recordAudit(this.services, this.req, {
      action: 'upload',
      outcome: this.outcome,
      actor: this.actor,
      organization: this.organization ?? (this.targets[0] ? organizationOf(this.targets[0].repository) : null),
      target: names.join(', ') || null,
      detail: { bytes: this.bytes, names: names.length, ...(this.error ? { error: this.error } : {}) },
    })
  }
}
