// Whether the console build in a dist dir was made from the sources in the checkout now. `npm start` only
// rebuilds when they differ, so a `git pull` (or any edit) never leaves it serving a stale console, and an
// unchanged checkout starts without a multi-minute build.
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

/** Everything `next build` reads from the checkout (sources, styles, static files, configuration, lockfile). */
const INPUTS = ['app', 'components', 'lib', 'public', 'prisma', 'next.config.js', 'postcss.config.mjs', 'tsconfig.json', 'package-lock.json']
const STAMP = 'stowage-sources.sha256'

export function sourceFingerprint(root) {
  const hash = createHash('sha256')
  const visit = (rel) => {
    const abs = path.join(root, rel)
    if (!fs.existsSync(abs)) return
    const stat = fs.statSync(abs)
    if (stat.isDirectory()) {
      for (const name of fs.readdirSync(abs).sort()) visit(path.join(rel, name))
    } else if (stat.isFile()) {
      hash.update(`${rel}\0${stat.size}\0`)
      hash.update(fs.readFileSync(abs))
    }
  }
  for (const input of INPUTS) visit(input)
  return hash.digest('hex')
}

/** True when distDir holds a build whose recorded fingerprint matches the sources now. */
export function consoleBuildIsCurrent(root, distDir) {
  if (!fs.existsSync(path.join(root, distDir, 'BUILD_ID'))) return false
  try {
    return fs.readFileSync(path.join(root, distDir, STAMP), 'utf8').trim() === sourceFingerprint(root)
  } catch {
    return false
  }
}

/** Records which sources the build in distDir was made from (call right after a successful `next build`). */
export function recordConsoleBuild(root, distDir, fingerprint = sourceFingerprint(root)) {
  fs.writeFileSync(path.join(root, distDir, STAMP), fingerprint + '\n')
}
