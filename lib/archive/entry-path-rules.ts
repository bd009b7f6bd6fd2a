// The rules for names inside an archive, shared by the server's importer and the browser's preview (so
// both refuse exactly the same names with the same words). Pure, no node: imports; each caller reports a
// problem with its own error type through `fail`.
import { ArchiveMessage } from './archive-messages'

type Fail = (message: string) => never

/** "./a//b/" -> "a/b"; refuses NUL bytes, absolute paths and ".." components. */
export function entryPathOrFail(raw: string, fail: Fail): string {
  if (raw.includes('\0')) fail(ArchiveMessage.entryNameNul(raw))
  if (raw.startsWith('/')) fail(ArchiveMessage.entryAbsolute(raw))
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.')
  if (parts.includes('..')) fail(ArchiveMessage.entryDotDot(raw))
  return parts.join('/')
}

/** A symlink's target resolved against the link's own folder; refuses one that leaves the archive. */
export function linkTargetOrFail(linkPath: string, target: string, fail: Fail): string {
  if (target.startsWith('/')) fail(ArchiveMessage.linkAbsolute(linkPath, target))
  const out = linkPath.split('/').slice(0, -1)
  for (const p of target.split('/')) {
    if (p === '' || p === '.') continue
    if (p !== '..') out.push(p)
    else if (out.length) out.pop()
    else fail(ArchiveMessage.linkOutside(linkPath, target))
  }
  return out.join('/')
}
