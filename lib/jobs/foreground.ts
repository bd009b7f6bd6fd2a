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

/**
 * The background side of the gate: a CPU-heavy task calls `turn()` between chunks. While foreground work
 * runs, only the background tasks holding one of the gate's slots keep going (none by default: on two
 * cores one gzip measurement took a whole core from the upload); the others wait until a slot is free or
 * the foreground is quiet. `turn()` answers undefined (no await needed) when it may go on.
 */
export interface BackgroundPacer {
  turn(): Promise<void> | undefined
  /** the task ended: gives the slot back */
  done(): void
}

export type Foreground = ForegroundGate & {
  /** a pacer for one background task */
  pacer(): BackgroundPacer
  /** background tasks waiting now (tests, benchmark) */
  waiting(): number
}

/**
 * `slots`: background tasks that may go on while foreground work runs (default 0).
 * `prioritize: false` counts foreground work but never holds background work back (benchmark comparison).
 */
export function createForegroundGate(opts: { prioritize?: boolean; slots?: number } = {}): Foreground {
  const prioritize = opts.prioritize ?? true
  const slots = opts.slots ?? 0
  let active = 0
  const holders = new Set<object>()
  let quietWaiters: (() => void)[] = []
  let paceWaiters: (() => void)[] = []
  let waitingCount = 0

  const release = (list: (() => void)[]) => list.forEach((f) => f())
  const wakePacers = () => {
    const w = paceWaiters
    paceWaiters = []
    release(w)
  }

  const gate: Foreground = {
    enter() {
      active++
      let left = false
      return () => {
        if (left) return
        left = true
        active--
        if (active > 0) return
        const w = quietWaiters
        quietWaiters = []
        release(w)
        wakePacers()
      }
    },
    active: () => active,
    quiet: () => (active === 0 ? Promise.resolve() : new Promise<void>((r) => quietWaiters.push(r))),
    waiting: () => waitingCount,
    pacer() {
      const me = {}
      const mayGo = () => {
        if (!prioritize || active === 0 || holders.has(me)) return true
        if (holders.size < slots) {
          holders.add(me)
          return true
        }
        return false
      }
      return {
        turn() {
          if (mayGo()) return undefined
          waitingCount++
          return (async () => {
            // woken when the foreground goes quiet or the slot is given back; then asks again
            while (!mayGo()) await new Promise<void>((r) => paceWaiters.push(r))
            waitingCount--
          })()
        },
        done() {
          if (holders.delete(me)) wakePacers()
        },
      }
    },
  }
  return gate
}

/** Runs `fn` as foreground work when the services have a gate. */
export async function inForeground<T>(gate: ForegroundGate | undefined, fn: () => Promise<T>): Promise<T> {
  const leave = gate?.enter()
  try {
    return await fn()
  } finally {
    leave?.()
  }
}

/** The pacer of a background task: the gate's own, or (a gate without slots) wait while any foreground work runs. */
export function backgroundPacer(gate: ForegroundGate | undefined): BackgroundPacer {
  if (!gate) return { turn: () => undefined, done() {} }
  const own = (gate as Partial<Foreground>).pacer
  if (own) return own.call(gate)
  return { turn: () => (gate.active() > 0 ? gate.quiet() : undefined), done() {} }
}
