// dive's own test image (../shared/fixtures/real/dive_test-docker-image.tar) imported and analysed
// through the API: the efficiency figures must be the ones dive's test asserts for it
// (dive/image/docker/image_archive_analysis_test.go). Skips with one line without ../shared.
import fs from 'node:fs'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { providers } from '../helpers/stack'
import { sharedFixturesPresent, sharedFixture } from '../helpers/fixtures'
import { startRegistry, type Registry } from '../helpers/http-stack'
import { startTestJobs } from '../helpers/jobs'
import { importArchive } from '../../lib/archive/import-archive'

describe.skipIf(!sharedFixturesPresent()).each(providers)("dive's test image (%s)", (provider) => {
  let reg: Registry
  beforeAll(async () => {
    reg = await startRegistry(provider)
    await importArchive(reg.stack, { body: fs.createReadStream(sharedFixture('real/dive_test-docker-image.tar')) })
  }, 120_000)
  afterAll(async () => {
    await reg?.close()
  })

  it("reproduces dive's published efficiency, wasted bytes and sizes", async () => {
    const path = `${reg.url}/api/repositories/dive-test/tags/latest/efficiency`
    const jobs = await startTestJobs(reg.stack)
    let res: Response
    try {
      expect((await fetch(path)).status).toBe(202)
      await jobs.jobs.idle('blob.measure')
      expect((await fetch(path)).status).toBe(202) // the layers are indexed; the analysis is queued now
      await jobs.jobs.idle('image.analyze')
      res = await fetch(path)
    } finally {
      await jobs.stop()
    }
    expect(res.status).toBe(200)
    const body = (await res.json()) as any
    expect(body).toMatchObject({ efficiency: 0.9844212134184309, sizeBytes: 1220598, userSizeBytes: 66237, wastedBytes: 32025, userWastedPercent: 0.4834911001404049 })
    expect(body.inefficiencyCount).toBe(body.inefficiencies.length)
    expect(body.inefficiencies.reduce((n: number, i: any) => n + i.wastedBytes, 0)).toBe(32025)
  }, 120_000)
})
