// Linux /proc readings for the benchmark: resident memory, CPU time and the process tree.
import fs from 'node:fs'
import os from 'node:os'
import { execFileSync } from 'node:child_process'

/** Clock ticks per second for /proc/<pid>/stat CPU times (getconf CLK_TCK; 100 on Linux). */
export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100
  } catch {
    return 100
  }
})()

/** VmRSS and VmHWM (peak RSS over the process's life) in bytes, or null once the process is gone. */
export function memory(pid: number): { rss: number; hwm: number } | null {
  if (pid === 0) return null // a process not on this machine (an external S3): not measured
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') }
  } catch {
    return null
  }
}

/** User + system CPU seconds the process has used so far (all its threads: zlib's and libuv's pool included). */
export function cpuSeconds(pid: number): number {
  if (pid === 0) return 0 // a process not on this machine (an external S3): not measured
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  // fields after "(comm)": state is field 3, utime 14 and stime 15 (1-based)
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK
}

export function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()
  } catch {
    return ''
  }
}

/** All descendants of `pid` (children first, breadth-first). */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number[]>()
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      parentOf.set(ppid, [...(parentOf.get(ppid) ?? []), Number(name)])
    } catch {
      // exited while we looked
    }
  }
  const out: number[] = []
  const queue = [pid]
  while (queue.length) {
    for (const child of parentOf.get(queue.shift()!) ?? []) {
      out.push(child)
      queue.push(child)
    }
  }
  return out
}

/** Samples VmRSS of some processes every `intervalMs` until stopped; keeps the maximum of each. */
export class RssSampler {
  private timer: NodeJS.Timeout
  readonly peak = new Map<number, number>()
  samples = 0

  constructor(private readonly pids: number[], intervalMs = 50) {
    this.sample()
    this.timer = setInterval(() => this.sample(), intervalMs)
  }

  private sample() {
    this.samples++
    for (const pid of this.pids) {
      const m = memory(pid)
      if (m && m.rss > (this.peak.get(pid) ?? 0)) this.peak.set(pid, m.rss)
    }
  }

  stop() {
    clearInterval(this.timer)
    this.sample()
    return this.peak
  }
}

/** CPU seconds consumed by each process between construction and `stop()`, with the wall time. */
export class CpuWindow {
  private readonly start: Map<number, number>
  private readonly t0 = performance.now()

  constructor(private readonly pids: number[]) {
    this.start = new Map(pids.map((p) => [p, cpuSeconds(p)]))
  }

  stop(): { wallSeconds: number; cpu: Map<number, number> } {
    const wallSeconds = (performance.now() - this.t0) / 1000
    return { wallSeconds, cpu: new Map(this.pids.map((p) => [p, cpuSeconds(p) - this.start.get(p)!])) }
  }
}

/** CPU seconds the whole machine has spent busy (all processes, all cores), from /proc/stat. */
export function machineBusySeconds(): number {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] // "cpu  user nice system idle iowait irq softirq steal ..."
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number)
  return (user + nice + system + irq + softirq + (steal || 0)) / CLK_TCK
}

/** One line naming the machine and the commit measured, for the report header. */
export function machineSummary(root: string) {
  const cpus = os.cpus()
  let commit = 'unknown'
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim()
  } catch {
    // not a git checkout
  }
  return `${cpus.length} × ${cpus[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, commit ${commit}`
}
