// Where tests find their archives.
// - Generated fixtures (always available): tests/fixtures/generate.ts writes them once into a cache
//   folder outside git, keyed by the generator's own source, so a fresh clone has every archive its tests
//   need; `fixtures.facts` holds their digests, sizes and tags to compute expectations from.
// - The team's shared real-world archives (../shared/fixtures, optional): `sharedFixturesDir()` finds them;
//   tests that need them skip with one line when they are absent.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createHash, randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { generateFixtures, FIXTURE_FILES, type FixtureFacts } from '../fixtures/generate'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const generatorDir = path.join(root, 'tests', 'fixtures')

/** A key that changes whenever the generator's code changes (so a stale cache is never used). */
function generatorVersion(): string {
  const h = createHash('sha256')
  for (const f of fs.readdirSync(generatorDir).filter((f) => f.endsWith('.ts')).sort()) h.update(f).update(fs.readFileSync(path.join(generatorDir, f)))
  return h.digest('hex').slice(0, 16)
}

/** The cache folder: STOWAGE_GENERATED_FIXTURES_DIR, or a folder under the OS temp dir. */
export function generatedFixturesDir(env: Record<string, string | undefined> = process.env): string {
  return env.STOWAGE_GENERATED_FIXTURES_DIR || path.join(os.tmpdir(), `stowage-test-fixtures-${generatorVersion()}`)
}

/**
 * Generates the fixtures unless the cache is complete (facts.json is written last). Safe when several
 * test processes start together: each writes a private folder and renames it into place; losers discard theirs.
 */
export async function ensureGeneratedFixtures(dir = generatedFixturesDir()): Promise<{ dir: string; facts: FixtureFacts; generatedMs: number | null }> {
  const factsFile = path.join(dir, 'facts.json')
  if (fs.existsSync(factsFile)) return { dir, facts: JSON.parse(fs.readFileSync(factsFile, 'utf8')), generatedMs: null }
  const started = Date.now()
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
  try {
    const facts = await generateFixtures(tmp)
    fs.writeFileSync(path.join(tmp, 'facts.json'), JSON.stringify(facts, null, 2))
    fs.mkdirSync(path.dirname(dir), { recursive: true })
    try {
      fs.renameSync(tmp, dir)
    } catch (e: any) {
      // another process finished first (or a broken leftover is in the way)
      if (!fs.existsSync(factsFile)) {
        fs.rmSync(dir, { recursive: true, force: true })
        fs.renameSync(tmp, dir)
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
  return { dir, facts: JSON.parse(fs.readFileSync(factsFile, 'utf8')), generatedMs: Date.now() - started }
}

const generated = await ensureGeneratedFixtures()

export const fixtures = {
  dir: generated.dir,
  facts: generated.facts,
  files: FIXTURE_FILES,
  /** how long this process spent generating them (null: reused from the cache) */
  generatedMs: generated.generatedMs,
  /** absolute path of a generated fixture, e.g. fixtures.path(fixtures.files.busybox) */
  path: (rel: string) => {
    const p = path.join(generated.dir, rel)
    if (!fs.existsSync(p)) throw new Error(`no generated fixture ${rel} (see tests/fixtures/generate.ts)`)
    return p
  },
  size: (rel: string) => generated.facts.archives[rel].size,
}

export { sharedFixturesDir, hasShared, sharedFixture, sharedFixturesPresent } from './shared-fixtures'
