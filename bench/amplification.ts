// What an archive that asks for many names or layers costs the server (issue 9): import time and the
// longest event-loop stall, in-process on a real stack (s3rver + SQLite / PostgreSQL), with the default
// limits (such archives are refused up front) and with the limits raised (how the work scales).
// Prints a table and, per provider, the ratio cost(10×N)/cost(N): ≈10 means linear, ≫10 quadratic.
// `npm run bench:amplification [-- --providers sqlite,postgresql]`. Not a test: it asserts nothing.
import { Readable } from 'node:stream'
import { startStack, type Stack } from '../tests/helpers/stack'
import { makeAmplifiedArchive } from '../tests/helpers/hostile-archive'
import { importArchive } from '../lib/archive/import-archive'
import type { DbProvider } from '../lib/db/provider'
import { arg, measured } from './harness'

type Case = { name: string; images?: number; tagsPerImage?: number; layerRepeats?: number }

const CASES: Case[] = [
  { name: '1,000 tags, 1 image', tagsPerImage: 1_000 },
  { name: '10,000 tags, 1 image', tagsPerImage: 10_000 },
  { name: '100 images × 100 tags (the default limits)', images: 100, tagsPerImage: 100 },
  { name: '100 images', images: 100 },
  { name: '1,000 images', images: 1_000 },
  { name: '1 layer listed 100 times', layerRepeats: 100 },
  { name: '1 layer listed 1,000 times', layerRepeats: 1_000 },
  { name: '100,000 tags, 1 image (2.4 MB)', tagsPerImage: 100_000 },
]
const RAISED = { maxTagsPerImage: 1_000_000, maxImagesPerArchive: 1_000_000, maxLayersPerImage: 1_000_000 }

const providers = arg('providers', 'sqlite,postgresql').split(',') as DbProvider[]

async function run(stack: Stack, c: Case, round: number) {
  const archive = await makeAmplifiedArchive({ repository: `bench/r${round}`, ...c })
  // a refused archive is an outcome to print, not a failure of the bench
  const r = await measured(() => importArchive(stack, { body: Readable.from([archive]) }).catch((e: Error) => e))
  const outcome = r.value instanceof Error ? (r.value as any).code ?? r.value.message : `${r.value.tags.length} tags`
  return { bytes: archive.length, ms: r.ms, stallMs: r.stallMs, outcome }
}

const rows: string[] = []
const ratios: string[] = []
let round = 0
for (const provider of providers) {
  for (const [label, limits] of [['default limits', {}], ['limits raised', RAISED]] as const) {
    const stack = await startStack(provider, limits)
    const times = new Map<string, number>()
    try {
      await run(stack, { name: 'warm-up', tagsPerImage: 10 }, round++)
      for (const c of CASES) {
        if (label === 'default limits' && !c.name.includes('100,000') && !c.name.includes('1,000')) continue
        const r = await run(stack, c, round++)
        times.set(c.name, r.ms)
        rows.push(`| ${provider} | ${label} | ${c.name} | ${(r.bytes / 1024).toFixed(0)} KiB | ${r.ms.toFixed(0)} | ${r.stallMs.toFixed(0)} | ${r.outcome} |`)
        console.log(rows.at(-1))
      }
    } finally {
      await stack.close()
    }
    if (label === 'limits raised') {
      const ratio = (big: string, small: string) => (times.get(big)! / times.get(small)!).toFixed(1)
      ratios.push(`${provider}: tags 10,000/1,000 = ${ratio('10,000 tags, 1 image', '1,000 tags, 1 image')}×, images 1,000/100 = ${ratio('1,000 images', '100 images')}×, layer repeats 1,000/100 = ${ratio('1 layer listed 1,000 times', '1 layer listed 100 times')}× (≈10 = linear)`)
    }
  }
}
console.log('\n| database | limits | archive asks for | size | import ms | worst event-loop stall ms | outcome |')
console.log('|---|---|---|---:|---:|---:|---|')
for (const r of rows) console.log(r)
console.log('\nScaling (import time of 10× the names or layers, same run):')
for (const r of ratios) console.log(`- ${r}`)
