// Foreground work (archive imports, registry pushes) gets the CPU first: while any runs in this process,
// CPU-heavy background jobs (the gzip measurement) hold back. Per process, because the CPU is per machine.

export interface ForegroundGate {
  /** marks one foreground operation as running; call the returned function exactly once when it ends */
  enter(): () => void
  /** foreground operations running now */
  active(): number
  /** resolves at once when none runs, else when the last one ends */
  quiet(): Promise<void>
}
