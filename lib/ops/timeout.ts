// Bounds a wait: operations endpoints must answer even when the database or the store does not.
export class TimedOut extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`)
    this.name = 'TimedOut'
  }
}

/** `work`'s result, or TimedOut after `ms` (the work itself goes on; its late result is dropped). */
export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimedOut(ms)), ms)
  })
  work.catch(() => {}) // a rejection after the timeout is not unhandled
  return Promise.race([work, late]).finally(() => clearTimeout(timer))
}
