// How fast the console's file browser opens a big layer (issue 13: "a 200,000-file layer opens in under a
// second"): imports one generated layer of --files files (default 200,000, 1,000 per folder) into a real
// server (production console build, SQLite, embedded S3), waits for its index, then times in Chromium the
// layer's root, a 1,000-file folder, its second page and a path search, --rounds times each after the first
// (cold) round; also the listing API alone. Prints medians. Needs a console build (STOWAGE_NEXT_DIST_DIR,
// default .next: `npx next build`).
import { performance } from 'node:perf_hooks'
import { chromium } from 'playwright-core'
import { startFullServer } from '../tests/helpers/full-server'
import { chromiumPath } from '../tests/helpers/optional'
import { makeDockerArchive } from '../tests/helpers/make-archive'
import { manyFilesLayer } from '../tests/helpers/layer-tar'
import { arg, median, markdownTable } from './harness'

const FILES = Number(arg('files', '200000'))
const ROUNDS = Number(arg('rounds', '3'))
const PER_DIR = 1000

const name = (n: number, width: number) => String(n).padStart(width, '0')

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now()
  await fn()
  return performance.now() - t
}

async function main() {
  const chunks: Buffer[] = []
  for await (const c of manyFilesLayer(FILES, { fileSize: 10, perDir: PER_DIR })) chunks.push(c as Buffer)
  const layer = Buffer.concat(chunks)
  const { archive, diffIds } = await makeDockerArchive({ repoTags: ['big/files:1'], layers: [layer] })
  const [server, browser] = await Promise.all([startFullServer(), chromium.launch({ executablePath: chromiumPath(), args: ['--headless', '--no-sandbox', '--disable-gpu'] })])
  const rows: (string | number)[][] = []
  try {
    const up = await server.fetch('/api/uploads?filename=big.tar', { method: 'POST', body: new Uint8Array(archive) })
    if (up.status !== 200 && up.status !== 201) throw new Error(`upload answered ${up.status}: ${await up.text()}`)
    const indexed = await timed(async () => {
      for (;;) {
        const r = await server.fetch(`/api/blobs/${diffIds[0]}/files?pageSize=1`)
        await r.text()
        if (r.status === 200) return
        await new Promise((res) => setTimeout(res, 100))
      }
    })
    console.log(`${FILES} files (${(layer.length / 2 ** 20).toFixed(0)} MiB layer) indexed ${Math.round(indexed)} ms after the upload`)
    const mid = name(Math.floor(FILES / PER_DIR / 2), 5)
    const last = name(FILES - 1, 7)
    for (const q of ['', `path=d${mid}`, `path=d${mid}&sort=size`, `q=f${last}`]) {
      const ms: number[] = []
      for (let i = 0; i < ROUNDS; i++) ms.push(await timed(async () => (await server.fetch(`/api/blobs/${diffIds[0]}/files?${q}`)).text()))
      rows.push([`API ${q || 'root'}`, Math.round(median(ms)), Math.round(Math.max(...ms))])
    }
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    await context.addCookies([{ ...server.session!, url: server.url }])
    const page = await context.newPage()
    page.setDefaultTimeout(120_000)
    await page.goto(`${server.url}/repositories/big/files/-/tags/1`)
    const browse = page.getByRole('button', { name: 'Browse files of layer 1' })
    await browse.waitFor()
    const steps: Record<string, number[]> = { 'browser: layer root': [], 'browser: 1,000-file folder': [], 'browser: its page 2': [], [`browser: search over ${FILES} paths`]: [] }
    const keys = Object.keys(steps)
    for (let round = 0; round <= ROUNDS; round++) {
      const row = page.locator('[data-testid="file-row"]')
      const ms = [
        await timed(async () => {
          if (round === 0) await browse.click()
          else await page.getByTestId('files-choice').selectOption('0')
          await row.and(page.locator('[data-name="d00000"]')).waitFor()
        }),
        await timed(async () => {
          await row.and(page.locator(`[data-name="d${mid}"]`)).getByRole('button').click()
          await row.and(page.locator(`[data-name="f${name(Number(mid) * PER_DIR, 7)}.txt"]`)).waitFor()
        }),
        await timed(async () => {
          await page.getByRole('button', { name: 'Next →' }).click()
          await row.and(page.locator(`[data-name="f${name(Number(mid) * PER_DIR + 200, 7)}.txt"]`)).waitFor()
        }),
        await timed(async () => {
          await page.getByRole('searchbox').fill(`f${last}`)
          await page.getByRole('button', { name: 'Search' }).click()
          await row.and(page.locator(`[data-path="d${name(Math.floor((FILES - 1) / PER_DIR), 5)}/f${last}.txt"]`)).waitFor()
        }),
      ]
      if (round === 0) keys.forEach((k, i) => rows.push([`${k} (first time)`, Math.round(ms[i]), Math.round(ms[i])]))
      else keys.forEach((k, i) => steps[k].push(ms[i]))
      await page.getByTestId('files-choice').selectOption('image')
      await row.first().waitFor()
    }
    for (const k of keys) rows.push([k, Math.round(median(steps[k])), Math.round(Math.max(...steps[k]))])
  } finally {
    await browser.close()
    await server.stop()
  }
  console.log(markdownTable([['step', 'left'], ['median ms', 'right'], ['max ms', 'right']], rows).join('\n'))
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
