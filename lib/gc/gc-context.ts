// What every step of one run shares.
import type { Services } from '../services'
import type { GcTally } from './gc-tally'

export type GcContext = {
  services: Services
  dryRun: boolean
  /** rows and objects written after this instant are within the grace period */
  cutoff: Date
  tally: GcTally
  /** rows per candidate query (lifecycle gcBatchRows) */
  batchRows: number
  /** throws when this run lost its lease (another instance took over): stop before deleting more */
  stillLeader(): Promise<void>
}
