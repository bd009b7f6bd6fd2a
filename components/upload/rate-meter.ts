// Upload speed over the last few seconds (a whole-upload average reacts too slowly to a link that
// changes speed; a per-event rate jumps around).
export class RateMeter {
  private samples: { t: number; bytes: number }[] = []
  constructor(private windowMs = 3000) {}

  add(t: number, bytes: number) {
    this.samples.push({ t, bytes })
    while (this.samples.length > 2 && t - this.samples[0].t > this.windowMs) this.samples.shift()
  }

  /** bytes per second, or null until there is enough to measure */
  rate(): number | null {
    if (this.samples.length < 2) return null
    const first = this.samples[0]
    const last = this.samples[this.samples.length - 1]
    const dt = (last.t - first.t) / 1000
    if (dt < 0.2) return null
    return (last.bytes - first.bytes) / dt
  }
}
