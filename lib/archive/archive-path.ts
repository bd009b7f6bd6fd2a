// Names inside an archive are untrusted: normalise them and refuse anything that could leave the archive root.
import path from 'node:path/posix'
import { ImportError } from './import-error'
import { ArchiveMessage } from './archive-messages'

/** Normalises a tar entry name ("./a//b/" -> "a/b"); throws on absolute paths and ".." components. */
export function normalizeEntryPath(raw: string): string {
  if (raw.includes('\0')) throw new ImportError('ENTRY_PATH_INVALID', ArchiveMessage.entryNameNul(raw))
  if (raw.startsWith('/')) throw new ImportError('ENTRY_PATH_INVALID', ArchiveMessage.entryAbsolute(raw))
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.')
  if (parts.includes('..')) throw new ImportError('ENTRY_PATH_INVALID', ArchiveMessage.entryDotDot(raw))
  return parts.join('/')
}

/** Resolves a symlink target relative to the link's directory; throws if it leaves the archive. */
export function resolveSymlinkTarget(linkPath: string, target: string): string {
  if (target.startsWith('/')) throw new ImportError('ENTRY_PATH_INVALID', ArchiveMessage.linkAbsolute(linkPath, target))
  const joined = path.normalize(path.join(path.dirname(linkPath), target))
  if (joined === '..' || joined.startsWith('../')) {
    throw new ImportError('ENTRY_PATH_INVALID', ArchiveMessage.linkOutside(linkPath, target))
  }
  return joined === '.' ? '' : joined
}

/** Validates a path that a manifest refers to (manifest.json Config/Layers); same rules as entry names. */
export function normalizeReference(ref: unknown, what: string): string {
  if (typeof ref !== 'string' || ref === '') throw new ImportError('MANIFEST_INVALID', ArchiveMessage.referenceNotPath(what))
  if (ref.startsWith('/') || ref.split('/').includes('..')) {
    throw new ImportError('REFERENCE_INVALID', ArchiveMessage.referenceOutside(what, ref))
  }
  return normalizeEntryPath(ref)
}
