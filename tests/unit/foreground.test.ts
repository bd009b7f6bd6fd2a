// The foreground gate: counts foreground work, and while any runs holds background tasks at their next
// chunk (all of them, or all but those holding one of its slots) until a slot is free or the foreground quiet.
import { describe, it, expect } from 'vitest'
import { createForegroundGate, backgroundPacer } from '../../lib/jobs/foreground'

const settled = async (p: Promise<unknown> | undefined) => {
  if (!p) return true
  let done = false
  void p.then(() => (done = true))
  for (let i = 0; i < 5; i++) await Promise.resolve()
  return done
}

describe('foreground gate', () => {
  it('counts foreground work; quiet() resolves when the last one ends; leaving twice counts once', async () => {
    const gate = createForegroundGate()
    expect(gate.active()).toBe(0)
    expect(await settled(gate.quiet())).toBe(true)
    const a = gate.enter()
    const b = gate.enter()
    expect(gate.active()).toBe(2)
    const quiet = gate.quiet()
    a()
    a()
    expect(gate.active()).toBe(1)
    expect(await settled(quiet)).toBe(false)
    b()
    expect(gate.active()).toBe(0)
    expect(await settled(quiet)).toBe(true)
  })

  it('lets background tasks run freely while no foreground work runs', () => {
    const gate = createForegroundGate()
    const [p1, p2] = [gate.pacer(), gate.pacer()]
    expect([p1.turn(), p2.turn(), p1.turn()]).toEqual([undefined, undefined, undefined])
  })

  it('holds every background task while foreground work runs (no slots by default)', async () => {
    const gate = createForegroundGate()
    const leave = gate.enter()
    const [p1, p2] = [gate.pacer(), gate.pacer()]
    const [w1, w2] = [p1.turn(), p2.turn()]
    expect(gate.waiting()).toBe(2)
    expect([await settled(w1), await settled(w2)]).toEqual([false, false])
    leave()
    expect([await settled(w1), await settled(w2)]).toEqual([true, true])
    expect(gate.waiting()).toBe(0)
  })

  it('with one slot, keeps one background task going while foreground work runs and holds the others', async () => {
    const gate = createForegroundGate({ slots: 1 })
    const leave = gate.enter()
    const [p1, p2, p3] = [gate.pacer(), gate.pacer(), gate.pacer()]
    expect(p1.turn()).toBeUndefined() // takes the slot
    const w2 = p2.turn()
    const w3 = p3.turn()
    expect(gate.waiting()).toBe(2)
    expect(await settled(w2)).toBe(false)
    expect(p1.turn()).toBeUndefined() // the slot holder goes on
    p1.done() // gives the slot to one of the waiting
    expect([await settled(w2), await settled(w3)].filter(Boolean)).toHaveLength(1)
    expect(gate.waiting()).toBe(1)
    leave() // foreground quiet: everyone goes
    expect(await settled(w2)).toBe(true)
    expect(await settled(w3)).toBe(true)
    expect(gate.waiting()).toBe(0)
  })

  it('never holds background work back when prioritizing is off (benchmark comparison)', () => {
    const gate = createForegroundGate({ prioritize: false })
    gate.enter()
    expect([gate.pacer().turn(), gate.pacer().turn()]).toEqual([undefined, undefined])
  })

  it('a gate without slots holds background work until the foreground is quiet', async () => {
    let active = 1
    let release!: () => void
    const plain = { enter: () => () => {}, active: () => active, quiet: () => new Promise<void>((r) => (release = r)) }
    const wait = backgroundPacer(plain).turn()
    expect(await settled(wait)).toBe(false)
    active = 0
    release()
    expect(await settled(wait)).toBe(true)
    expect(backgroundPacer(undefined).turn()).toBeUndefined()
  })
})
