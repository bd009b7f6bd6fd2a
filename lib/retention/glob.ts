// Glob patterns over tag names, for retention policies' keepPattern: `*` (any run of characters, also
// none), `?` (exactly one character), `{a,b}` (one of the alternatives; alternatives may hold globs and
// nest), `\` (the next character literally). A pattern matches the WHOLE tag name.
//
// Patterns come from users, so they are never turned into a RegExp (a backtracking engine can take
// exponential time on patterns like `*a*a*a*b`). They compile to a small automaton whose states are
// simulated as a set, one step per character: matching costs O(tag length × pattern length) at worst.

export const MAX_GLOB_LENGTH = 200

export class GlobError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'GlobError'
  }
}

type Edge = { any: boolean; char: string; to: number }
type State = { edges: Edge[]; eps: number[] }

export type Glob = { pattern: string; matches(name: string): boolean }

/** Compiles `pattern`; throws GlobError (with a message fit for a 400 answer) when it is malformed. */
export function compileGlob(pattern: string): Glob {
  if (pattern.length > MAX_GLOB_LENGTH) throw new GlobError(`the pattern is longer than ${MAX_GLOB_LENGTH} characters`)
  const states: State[] = []
  const state = () => states.push({ edges: [], eps: [] }) - 1
  const start = state()
  let pos = 0

  // A sequence from `from` up to the end, or (depth > 0) up to the `,` or `}` that closes it; answers its last state.
  const sequence = (from: number, depth: number): number => {
    let at = from
    while (pos < pattern.length) {
      const c = pattern[pos]
      if (depth > 0 && (c === ',' || c === '}')) return at
      pos++
      if (c === '*') {
        const loop = state()
        states[at].eps.push(loop)
        states[loop].edges.push({ any: true, char: '', to: loop })
        at = loop
      } else if (c === '?') {
        const next = state()
        states[at].edges.push({ any: true, char: '', to: next })
        at = next
      } else if (c === '{') {
        const end = state()
        const open = pos - 1
        for (;;) {
          const branch = state()
          states[at].eps.push(branch)
          states[sequence(branch, depth + 1)].eps.push(end)
          if (pos >= pattern.length) throw new GlobError(`the "{" at position ${open + 1} is never closed`)
          if (pattern[pos++] === '}') break // else ',': the next alternative
        }
        at = end
      } else if (c === '}') {
        throw new GlobError(`the "}" at position ${pos} closes no "{" (write \\} for a literal one)`)
      } else {
        let literal = c
        if (c === '\\') {
          if (pos >= pattern.length) throw new GlobError('the pattern ends with a lone "\\"')
          literal = pattern[pos++]
        }
        const next = state()
        states[at].edges.push({ any: false, char: literal, to: next })
        at = next
      }
    }
    return at
  }
  const accept = sequence(start, 0)
  return { pattern, matches: (name) => run(states, start, accept, name) }
}

/** The reason `pattern` is not a valid glob, or null. */
export function globProblem(pattern: string): string | null {
  try {
    compileGlob(pattern)
    return null
  } catch (e) {
    if (e instanceof GlobError) return e.message
    throw e
  }
}

/** Set simulation: the states reachable after each character; each state is visited at most once per step. */
function run(states: State[], start: number, accept: number, name: string): boolean {
  const mark = new Int32Array(states.length).fill(-1)
  let current: number[] = []
  const add = (set: number[], s: number, step: number) => {
    // epsilon closure without recursion (nesting depth follows the pattern)
    const stack = [s]
    while (stack.length) {
      const x = stack.pop()!
      if (mark[x] === step) continue
      mark[x] = step
      set.push(x)
      for (const e of states[x].eps) stack.push(e)
    }
  }
  add(current, start, 0)
  for (let i = 0; i < name.length && current.length; i++) {
    const c = name[i]
    const next: number[] = []
    for (const s of current) for (const e of states[s].edges) if (e.any || e.char === c) add(next, e.to, i + 1)
    current = next
  }
  return current.includes(accept)
}
