// Podman (containers/storage, vfs driver) pulls through the registry API what the console imported and
// gets the image ID `docker save` recorded; it pushes an image back (gzip layers) and pulls that too.
// Skipped where podman is not installed (`apt-get install -y podman`).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { fixtures } from '../helpers/fixtures'
import { hasPodman } from '../helpers/optional'
import { startRegistry, type Registry } from './oci-support'
import { importArchive } from '../../lib/archive/import-archive'

const podmanPresent = hasPodman()

const BUSYBOX_ID = fixtures.facts.busybox.configDigest.slice('sha256:'.length)
const BUSYBOX_DIFF_IDS = fixtures.facts.busybox.diffIds

describe.skipIf(!podmanPresent)('registry API with podman', () => {
  let reg: Registry
  let work: string
  const podman = async (...args: string[]) => {
    const base = ['--storage-driver', 'vfs', '--root', path.join(work, 'root'), '--runroot', path.join(work, 'run')]
    const { stdout } = await promisify(execFile)('podman', [...base, ...args], { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 })
    return stdout.trim()
  }

  beforeAll(async () => {
    reg = await startRegistry('sqlite')
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-podman-'))
    await importArchive(reg.stack, { body: fs.createReadStream(fixtures.path(fixtures.files.busybox)) })
  })
  afterAll(async () => {
    await reg?.close()
    if (work) fs.rmSync(work, { recursive: true, force: true })
  })

  it('pulls an imported image with the image ID of the saved archive', async () => {
    await podman('pull', '--tls-verify=false', `${reg.host}/example.test/busybox:1.0`)
    const [id, layers] = (await podman('image', 'inspect', `${reg.host}/example.test/busybox:1.0`, '--format', '{{.Id}}|{{json .RootFS.Layers}}')).split('|')
    expect(id).toBe(BUSYBOX_ID)
    expect(JSON.parse(layers)).toEqual(BUSYBOX_DIFF_IDS)
  })

  it('pushes an image and pulls it again', async () => {
    await podman('push', '--tls-verify=false', `${reg.host}/example.test/busybox:1.0`, `${reg.host}/podman/pushed:v1`)
    await podman('rmi', '--all', '--force')
    await podman('pull', '--tls-verify=false', `${reg.host}/podman/pushed:v1`)
    const layers = await podman('image', 'inspect', `${reg.host}/podman/pushed:v1`, '--format', '{{json .RootFS.Layers}}')
    expect(JSON.parse(layers)).toEqual(BUSYBOX_DIFF_IDS)
    const tags = await (await fetch(`${reg.url}/v2/podman/pushed/tags/list`)).json()
    expect(tags).toEqual({ name: 'podman/pushed', tags: ['v1'] })
  })
})
