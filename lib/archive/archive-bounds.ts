// Bounds on what one archive may ask of the server: images, names per image, layers per image.
// Each name and layer costs database rows and work, and a 2 MB manifest.json can list 100,000 of
// them, so the counts are checked on the raw manifest before any image is planned, then once more
// on the plans (nested OCI indexes are only known after planning).
import { ImportError } from './import-error'
import { parseBoundedJson } from './bounded-json'
import type { ArchiveContents } from './archive-reader'
import type { Limits } from '../config'

type Bounds = Pick<Limits, 'maxImagesPerArchive' | 'maxTagsPerImage' | 'maxLayersPerImage' | 'maxJsonBytes' | 'maxJsonDepth'>

/** Checks manifest.json / index.json counts; malformed documents are left to the layout step. */
export function checkManifestBounds(contents: ArchiveContents, limits: Bounds): void {
  const manifest = contents.entries.get('manifest.json')
  if (manifest?.kind === 'doc') {
    const items = parseBoundedJson(manifest.bytes, 'manifest.json', limits)
    if (!Array.isArray(items)) return
    checkImageCount(items.length, 'manifest.json', limits)
    items.forEach((item, i) => {
      if (!item || typeof item !== 'object') return
      const what = `manifest.json image ${i + 1}`
      if (Array.isArray(item.RepoTags)) checkTagCount(item.RepoTags.length, what, limits)
      if (Array.isArray(item.Layers)) checkLayerCount(item.Layers.length, what, limits)
    })
    return
  }
  const index = contents.entries.get('index.json')
  if (index?.kind === 'doc') {
    const doc = parseBoundedJson(index.bytes, 'index.json', limits) as { manifests?: unknown }
    if (doc && typeof doc === 'object' && Array.isArray(doc.manifests)) checkImageCount(doc.manifests.length, 'index.json', limits)
  }
}

/** Checks the planned images (whatever layout they came from). */
export function checkPlanBounds(plans: { refs: unknown[]; layers: unknown[] }[], limits: Bounds): void {
  checkImageCount(plans.length, 'the archive', limits)
  plans.forEach((plan, i) => {
    checkTagCount(plan.refs.length, `image ${i + 1}`, limits)
    checkLayerCount(plan.layers.length, `image ${i + 1}`, limits)
  })
}

function checkImageCount(n: number, where: string, limits: Bounds) {
  if (n > limits.maxImagesPerArchive) {
    throw new ImportError('TOO_MANY_IMAGES', `${where} lists ${n} images; one archive may hold at most ${limits.maxImagesPerArchive} (split it into several uploads)`)
  }
}

function checkTagCount(n: number, what: string, limits: Bounds) {
  if (n > limits.maxTagsPerImage) {
    throw new ImportError('TOO_MANY_TAGS', `${what} has ${n} tags (RepoTags); at most ${limits.maxTagsPerImage} names per image are accepted`)
  }
}

function checkLayerCount(n: number, what: string, limits: Bounds) {
  if (n > limits.maxLayersPerImage) {
    throw new ImportError('TOO_MANY_LAYERS', `${what} lists ${n} layers; at most ${limits.maxLayersPerImage} are accepted (Docker itself runs at most 125)`)
  }
}
