// Podman (containers/storage, vfs driver) pulls through the registry API what the console imported and
// gets the image ID `docker save` recorded; it pushes an image back (gzip layers) and pulls that too.
// Skipped where podman is not installed (`apt-get install -y podman`).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFile, execFileSync } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { fixture } from '../helpers/stack'
import { startRegistry, type Registry } from './oci-support'
import { importArchive } from '../../lib/archive/import-archive'

const hasPodman = (() => {
  try {
    execFileSync('podman', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

const BUSYBOX_ID = '11def56894d4ff0495f3c7024f7b07a6e94cd34edc54b2cd8b2614bbe7c6c002'
const BUSYBOX_DIFF_IDS = [
  'sha256:78ebc6c5a7c504a23240f285801dce34274adf9a025aa1bb64ca1c471f6b5899',
  'sha256:36d91fa376d3efed5a09396edcfbd9e0f1bff43b65681dbba88e8b4d15e47da7',
]

describe.skipIf(!hasPodman)('registry API with podman', () => {
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
    await importArchive(reg.stack, { body: fs.createReadStream(fixture('generated/01-busybox-2layer.docker-archive.tar')) })
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
