// What the operations endpoints and the front door's accounting need, kept in Services (services.ops).
import { StowageMetrics } from './metrics'

export type Ops = {
  metrics: StowageMetrics
  /** STOWAGE_METRICS_TOKEN: when set, /metrics needs `Authorization: Bearer <it>` (metrics-access.ts) */
  metricsToken: string | null
  /** how long /readyz waits for each dependency */
  checkTimeoutMs: number
}

export const DEFAULT_CHECK_TIMEOUT_MS = 2000

export function createOps(opts: Partial<Omit<Ops, 'metrics'>> = {}): Ops {
  return { metrics: new StowageMetrics(), metricsToken: opts.metricsToken ?? null, checkTimeoutMs: opts.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS }
}
