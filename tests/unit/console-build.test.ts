// `npm start` rebuilds the console exactly when the sources it is built from changed (scripts/console-build.mjs).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, it, expect } from 'vitest'
// @ts-expect-error plain JavaScript build script without types
import { consoleBuildIsCurrent, recordConsoleBuild, sourceFingerprint } from '../../scripts/console-build.mjs'

function checkout() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-console-build-'))
  fs.mkdirSync(path.join(root, 'components'), { recursive: true })
  fs.mkdirSync(path.join(root, '.next'), { recursive: true })
  fs.writeFileSync(path.join(root, 'components', 'a.tsx'), 'export const a = 1\n')
  fs.writeFileSync(path.join(root, 'next.config.js'), 'export default {}\n')
  return root
}

describe('console build freshness', () => {
  it('is stale without a build, current after recording it, stale again after any source edit', () => {
    const root = checkout()
    expect(consoleBuildIsCurrent(root, '.next')).toBe(false) // no BUILD_ID
    fs.writeFileSync(path.join(root, '.next', 'BUILD_ID'), 'x')
    expect(consoleBuildIsCurrent(root, '.next')).toBe(false) // a build nobody recorded (made by hand)
    recordConsoleBuild(root, '.next')
    expect(consoleBuildIsCurrent(root, '.next')).toBe(true)
    fs.writeFileSync(path.join(root, 'components', 'a.tsx'), 'export const a = 2\n')
    expect(consoleBuildIsCurrent(root, '.next')).toBe(false)
    recordConsoleBuild(root, '.next')
    fs.writeFileSync(path.join(root, 'components', 'b.tsx'), 'export const b = 1\n') // a new file counts too
    expect(consoleBuildIsCurrent(root, '.next')).toBe(false)
  })

  it('does not depend on the build output, data or dependencies folders', () => {
    const root = checkout()
    const before = sourceFingerprint(root)
    fs.writeFileSync(path.join(root, '.next', 'BUILD_ID'), 'y')
    fs.mkdirSync(path.join(root, 'data'))
    fs.writeFileSync(path.join(root, 'data', 'stowage.db'), 'z')
    expect(sourceFingerprint(root)).toBe(before)
  })
})
