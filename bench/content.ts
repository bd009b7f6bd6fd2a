// Deterministic file content for synthetic image layers, with the compressibility mix of real images:
// source/JSON-like text (gzip -6 to ~26%), binary-like data (~43%, like executables and libraries)
// and incompressible bytes (already-compressed assets). Everything derives from a seed string.
//
// Speed matters (2 GiB in a few seconds), so no per-byte JavaScript work happens while generating:
// text and binary are built once as 1 MiB corpora (slowly, realistically), and each file is a
// sequence of randomly placed segments copied out of its corpus (memcpy). gzip's 32 KiB window
// rarely sees a segment twice, so a file compresses about as well as its corpus does on its own.
// Random bytes are AES-128-CTR keystream (AES-NI), seeded per layer.
import crypto from 'node:crypto'

export type ContentKind = 'text' | 'binary' | 'random'

/** splitmix32: a small, fast, seedable PRNG for structural decisions (sizes, names, kinds). */
export class Prng {
  private state: number
  constructor(seed: string) {
    this.state = crypto.createHash('sha256').update(seed).digest().readInt32LE(0)
  }
  /** uniform in [0, 1) */
  next(): number {
    this.state = (this.state + 0x9e3779b9) | 0
    let z = this.state
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296
  }
  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive)
  }
  /** skewed towards 0 (Zipf-like word frequencies): exponent > 1 favours small indices */
  skewed(n: number, exponent = 1.6): number {
    return Math.min(n - 1, Math.floor(Math.pow(this.next(), exponent) * n))
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]
  }
}

const CORPUS_BYTES = 1 << 20
const MIN_SEGMENT = 256
const MAX_SEGMENT = 4096

const SYLLABLES = ['ra', 'to', 'ken', 'get', 'set', 'val', 'ue', 'con', 'fig', 'str', 'ing', 'num', 'ber', 'lis', 'data', 'req',
  'res', 'path', 'name', 'id', 'user', 'item', 'node', 'buf', 'err', 'opt', 'map', 'key', 'len', 'idx', 'src', 'dst', 'ctx', 'log']
const KEYWORDS = ['const', 'return', 'if', 'else', 'for', 'import', 'from', 'export', 'function', 'await', 'async', 'let', 'new',
  'this', 'self', 'def', 'class', 'None', 'null', 'true', 'false', 'static', 'public', 'private', 'void', 'int']

/** Source code, JSON and comments from a Zipf-distributed vocabulary: compresses like real text files. */
function textCorpus(rng: Prng): Buffer {
  const idents: string[] = []
  for (let i = 0; i < 600; i++) {
    const parts = 1 + rng.int(3)
    let w = ''
    for (let j = 0; j < parts; j++) {
      const s = SYLLABLES[rng.skewed(SYLLABLES.length)]
      w += j ? s[0].toUpperCase() + s.slice(1) : s
    }
    idents.push(w)
  }
  const id = () => idents[rng.skewed(idents.length)]
  const kw = () => KEYWORDS[rng.skewed(KEYWORDS.length)]
  const templates = [
    () => `const ${id()} = ${id()}(${id()}, ${id()});`,
    () => `if (${id()}.${id()} === ${rng.int(100)}) {`,
    () => `return ${id()}.${id()}(${id()})`,
    () => `}`,
    () => `"${id()}": "${id()}-${rng.int(1e6)}",`,
    () => `// ${id()} ${kw()} ${id()} ${id()} the ${id()}`,
    () => `${kw()} ${id()}(${id()}: ${kw()}) {`,
    () => `${id()}.${id()} = ${id()}[${id()}] || ${rng.int(1000)};`,
  ]
  const lines: string[] = []
  let size = 0
  let depth = 0
  while (size < CORPUS_BYTES) {
    const line = templates[rng.skewed(templates.length, 1.3)]()
    if (line === '}') depth = Math.max(0, depth - 1)
    const indented = '  '.repeat(depth) + line + '\n'
    if (line.endsWith('{')) depth = Math.min(6, depth + 1)
    lines.push(indented)
    size += indented.length
  }
  return Buffer.from(lines.join('')).subarray(0, CORPUS_BYTES)
}

/** Machine-code-like bytes: a small set of recurring "instructions", short random constants, zero padding. */
function binaryCorpus(rng: Prng): Buffer {
  const out = Buffer.alloc(CORPUS_BYTES)
  const fragments: Buffer[] = []
  for (let i = 0; i < 512; i++) {
    const f = Buffer.alloc(2 + rng.int(7))
    for (let j = 0; j < f.length; j++) f[j] = rng.next() < 0.3 ? 0 : rng.int(256)
    fragments.push(f)
  }
  let p = 0
  while (p < out.length) {
    const r = rng.next()
    if (r < 0.8) {
      const f = fragments[rng.skewed(fragments.length, 2.5)]
      p += f.copy(out, p)
    } else if (r < 0.9) {
      const n = 2 + rng.int(6)
      for (let j = 0; j < n && p < out.length; j++) out[p++] = rng.int(256)
    } else {
      p += 1 + rng.int(8) // zeros (the buffer starts zeroed)
    }
  }
  return out
}

/** The shared, seed-determined corpora; build once per archive. */
export class ContentCorpora {
  readonly text: Buffer
  readonly binary: Buffer
  constructor(readonly seed: string) {
    this.text = textCorpus(new Prng(`${seed}/text`))
    this.binary = binaryCorpus(new Prng(`${seed}/binary`))
  }

  /** A content stream for one layer: its own keystream, so layers are independent of each other. */
  forLayer(layerIndex: number): LayerContent {
    return new LayerContent(this, `${this.seed}/layer/${layerIndex}`)
  }
}

export class LayerContent {
  private readonly keystream: crypto.Cipher
  private zeros = Buffer.alloc(0)

  constructor(private readonly corpora: ContentCorpora, seed: string) {
    const key = crypto.createHash('sha256').update(seed).digest()
    this.keystream = crypto.createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32))
  }

  /** `n` pseudo-random bytes (a fresh buffer). */
  random(n: number): Buffer {
    if (this.zeros.length < n) this.zeros = Buffer.alloc(Math.max(n, 256 * 1024))
    return this.keystream.update(this.zeros.subarray(0, n))
  }

  /** A fresh buffer of `n` bytes of the given kind. */
  make(kind: ContentKind, n: number): Buffer {
    if (kind === 'random') return this.random(n)
    const corpus = kind === 'text' ? this.corpora.text : this.corpora.binary
    const out = Buffer.allocUnsafe(n)
    // two 32-bit random words per segment (length, offset); segments are at least MIN_SEGMENT long
    const draws = this.random(Math.ceil(n / MIN_SEGMENT) * 8 + 8)
    let p = 0
    let d = 0
    while (p < n) {
      const len = Math.min(n - p, MIN_SEGMENT + (draws.readUInt32LE(d) % (MAX_SEGMENT - MIN_SEGMENT)))
      const off = draws.readUInt32LE(d + 4) % (corpus.length - len)
      p += corpus.copy(out, p, off, off + len)
      d += 8
    }
    return out
  }
}
