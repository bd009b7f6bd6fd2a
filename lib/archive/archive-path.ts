// Names inside an archive are untrusted: normalise them and refuse anything that could leave the archive root.
import { ImportError } from './import-error'
import { ArchiveMessage } from './archive-messages'
import { entryPathOrFail, linkTargetOrFail } from './entry-path-rules'

const invalidEntry = (message: string): never => {
  throw new ImportError('ENTRY_PATH_INVALID', message)
}

/** Normalises a tar entry name ("./a//b/" -> "a/b"); throws on absolute paths and ".." components. */
export const normalizeEntryPath = (raw: string): string => entryPathOrFail(raw, invalidEntry)

/** Resolves a symlink target relative to the link's directory; throws if it leaves the archive. */
export const resolveSymlinkTarget = (linkPath: string, target: string): string => linkTargetOrFail(linkPath, target, invalidEntry)

/** Validates a path that a manifest refers to (manifest.json Config/Layers); same rules as entry names. */
export function normalizeReference(ref: unknown, what: string): string {
  if (typeof ref !== 'string' || ref === '') throw new ImportError('MANIFEST_INVALID', ArchiveMessage.referenceNotPath(what))
  if (ref.startsWith('/') || ref.split('/').includes('..')) {
    throw new ImportError('REFERENCE_INVALID', ArchiveMessage.referenceOutside(what, ref))
  }
  return normalizeEntryPath(ref)
}
