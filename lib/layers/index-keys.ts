// Where index objects live. Under blobs/ on purpose: garbage collection's orphan sweep lists blobs/ and
// deletes objects no row names, so an index object whose row is gone (a crash mid-build, a build that
// raced a blob delete) is collected like any other leftover. A fresh random key per build: a rebuild
// never overwrites an object that a tombstone is about to delete.
import { randomUUID } from 'node:crypto'
import { KEY_PREFIX } from '../registry/staging'

export const INDEX_KEY_PREFIX = `${KEY_PREFIX}layer-index/`
export const newIndexKey = () => `${INDEX_KEY_PREFIX}${randomUUID()}`
