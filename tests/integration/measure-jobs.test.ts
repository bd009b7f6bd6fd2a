// Compressed-size measurement as blob.measure jobs on the real queue of each database: an import queues
// one job per new layer, the result (gzip -6 size) is what the console shows, pending layers a crash
// left unqueued are queued at start, and a measurement holds back while an upload is in flight.
import zlib from 'node:zlib'
import { PassThrough, Readable } from 'node:stream'
import { describe, it, expect, beforeEach, afterEach } from 'vitest'
import { providers, startStack, type Stack } from '../helpers/stack'
import { makeDockerArchive, makeLayer } from '../helpers/make-archive'
import { startTestJobs } from '../helpers/jobs'
import { waitFor } from '../helpers/http-stack'
import { importArchive } from '../../lib/archive/import-archive'
import { getImageTagDetail } from '../../lib/registry/queries'
import { createForegroundGate } from '../../lib/jobs/foreground'
import type { RunningJobs } from '../../lib/jobs/start-jobs'
import { sha256 } from '../../lib/archive/digest-stream'
import http from 'node:http'
import { randomBytes } from 'node:crypto'
import { startRegistry, type Registry } from '../helpers/http-stack'
import { oneLayerImage, request, OCI_MANIFEST } from './oci-support'

describe.each(providers)('compressed sizes measured by jobs (%s)', (provider) => {
  let stack: Stack
  let running: RunningJobs | null = null
  beforeEach(async () => {
    stack = await startStack(provider)
  }, 60_000)
  afterEach(async () => {
    await running?.stop()
    running = null
    await stack.close()
  }, 60_000)

  const gzip6 = (b: Buffer) => zlib.gzipSync(b, { level: 6 }).length

  it('queues one job per new layer at the import and records the gzip -6 size', async () => {
    running = await startTestJobs(stack)
    const layers = [await makeLayer(600 * 1024, 'text'), await makeLayer(200 * 1024)]
    const { archive } = await makeDockerArchive({ repoTags: ['measure/app:1'], layers })
    await importArchive(stack, { body: Readable.from([archive]) })
    await running.jobs.idle('blob.measure')
    const detail = (await getImageTagDetail(stack, 'measure/app', '1'))!
    expect(detail.layers.map((l) => l.compressedSize)).toEqual(layers.map(gzip6))
    expect(detail.sizes).toMatchObject({ compressedState: 'done', compressed: gzip6(layers[0]) + gzip6(layers[1]) })
    const jobs = await running.jobs.recent({ name: 'blob.measure', limit: 10 })
    expect(jobs.map((j) => [j.state, (j.data as { digest: string }).digest]).sort()).toEqual(layers.map((l) => ['completed', sha256(l)]).sort())

    // the same layers again: nothing new to measure, no job
    const { archive: again } = await makeDockerArchive({ repoTags: ['measure/app:2'], layers })
    await importArchive(stack, { body: Readable.from([again]) })
    expect(await running.jobs.recent({ name: 'blob.measure', limit: 10 })).toHaveLength(2)
  }, 60_000)

  it('queues at start the layers a crash left waiting between commit and queueing', async () => {
    const layers = [await makeLayer(300 * 1024, 'text')]
    const { archive } = await makeDockerArchive({ repoTags: ['measure/late:1'], layers })
    await importArchive(stack, { body: Readable.from([archive]) }) // no queue running: stays pending
    expect((await getImageTagDetail(stack, 'measure/late', '1'))!.sizes.compressedState).toBe('pending')
    running = await startTestJobs(stack)
    await running.jobs.idle('blob.measure')
    expect((await getImageTagDetail(stack, 'measure/late', '1'))!.layers.map((l) => l.compressedSize)).toEqual(layers.map(gzip6))
  }, 60_000)

  it('holds the measurements while an upload is in flight, then finishes both', async () => {
    // two layers waiting to be measured (imported while no queue ran)
    const layers = [await makeLayer(16 * 2 ** 20), await makeLayer(16 * 2 ** 20)]
    const { archive } = await makeDockerArchive({ repoTags: ['measure/big:1'], layers })
    await importArchive(stack, { body: Readable.from([archive]) })
    const gate = createForegroundGate()
    stack.foreground = gate

    // an upload in flight: its first bytes are sent, the rest later
    const next = (await makeDockerArchive({ repoTags: ['measure/next:1'], layers: [await makeLayer(64 * 1024)] })).archive
    const body = new PassThrough()
    const uploading = importArchive(stack, { body })
    body.write(next.subarray(0, 4096))
    expect(gate.active()).toBe(1)

    running = await startTestJobs(stack, { measureConcurrency: 2 })
    await waitFor(async () => gate.waiting() === 2, 'both measurements to be held back')
    const states = (await stack.db.blob.findMany({ where: { digest: { in: layers.map(sha256) } } })).map((b) => b.analysisState)
    expect(states.filter((s) => s === 'done')).toEqual([]) // nothing is measured while the upload runs
    expect(gate.active()).toBe(1)

    body.end(next.subarray(4096))
    await uploading
    expect(gate.active()).toBe(0)
    await running.jobs.idle('blob.measure')
    expect(gate.waiting()).toBe(0)
    const detail = (await getImageTagDetail(stack, 'measure/big', '1'))!
    expect(detail.layers.map((l) => l.compressedSize)).toEqual(layers.map(gzip6))
  }, 120_000)

  describe('through the registry API', () => {
    let reg: Registry | null = null
    afterEach(async () => {
      await running?.stop()
      running = null
      await reg?.close()
      reg = null
    }, 60_000)

    it('measures the layers a pushed manifest names, and counts a blob upload in flight as foreground work', async () => {
      reg = await startRegistry(provider)
      running = await startTestJobs(reg.stack)
      const gate = reg.stack.foreground!
      const layer = randomBytes(300 * 1024)
      const { config, manifest } = oneLayerImage(layer)

      // the layer in one PATCH whose body arrives in two parts: foreground work while it is received
      const start = await request(`${reg.url}/v2/pushed/app/blobs/uploads/`, { method: 'POST' })
      expect(start.status).toBe(202)
      const session = new URL(start.headers.get('location')!, reg.url)
      const patch = http.request(session, { method: 'PATCH', headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': layer.length } })
      const answered = new Promise<number>((resolve, reject) => patch.on('response', (res) => (res.resume(), resolve(res.statusCode!))).on('error', reject))
      patch.write(layer.subarray(0, 1000))
      await waitFor(async () => gate.active() === 1, 'the blob upload to count as foreground work')
      patch.end(layer.subarray(1000))
      expect(await answered).toBe(202)
      expect(gate.active()).toBe(0)
      session.searchParams.set('digest', sha256(layer))
      expect((await request(session.toString(), { method: 'PUT' })).status).toBe(201)
      expect((await request(`${reg.url}/v2/pushed/app/blobs/uploads/?digest=${sha256(config)}`, { method: 'POST', body: config })).status).toBe(201)
      expect((await request(`${reg.url}/v2/pushed/app/manifests/1`, { method: 'PUT', body: manifest, headers: { 'Content-Type': OCI_MANIFEST } })).status).toBe(201)

      await running.jobs.idle('blob.measure')
      const detail = (await getImageTagDetail(reg.stack, 'pushed/app', '1'))!
      expect(detail.layers.map((l) => [l.compressedSize, l.uncompressedSize])).toEqual([[gzip6(layer), layer.length]])
      expect(await running.jobs.recent({ name: 'blob.measure', limit: 5 })).toEqual([expect.objectContaining({ state: 'completed', data: { digest: sha256(layer) } })])
    }, 60_000)
  })
})
