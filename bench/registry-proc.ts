// /proc readings the registry benchmark adds to bench/proc-stats.ts: minor page faults, which show a
// process touching freshly mapped memory for every byte it moves (allocator churn) instead of reusing it.
import fs from 'node:fs'

/** Minor page faults of the process so far (field 10 of /proc/<pid>/stat), or 0 once it is gone. */
export function minorFaults(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7])
  } catch {
    return 0
  }
}
