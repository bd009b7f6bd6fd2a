// The running sha256 of upload sessions while this process receives them. Node cannot persist a hash
// mid-stream, so this is only an optimisation: when the state is here and covers every byte received,
// finishing needs no second read of the blob; otherwise (after a restart, or chunks received by another
// process) the finished blob is hashed by streaming it back from the bucket.
import { createHash, type Hash } from 'node:crypto'
import type { Services } from '../services'

type Running = { hash: Hash; bytes: number }

/** Hash objects are small; the bound only guards against many abandoned sessions. */
const MAX_SESSIONS = 1000
const perServices = new WeakMap<object, Map<string, Running>>()

function runningOf(services: Services) {
  let map = perServices.get(services.db)
  if (!map) perServices.set(services.db, (map = new Map()))
  return map
}

/** Takes the running hash of a session that has received `bytes` bytes, if this process has it. */
export function takeRunningDigest(services: Services, sessionId: string, bytes: number): Hash | null {
  const map = runningOf(services)
  const running = map.get(sessionId)
  map.delete(sessionId)
  if (bytes === 0) return createHash('sha256')
  return running && running.bytes === bytes ? running.hash : null
}

export function keepRunningDigest(services: Services, sessionId: string, hash: Hash, bytes: number) {
  const map = runningOf(services)
  if (map.size >= MAX_SESSIONS) map.delete(map.keys().next().value!)
  map.set(sessionId, { hash, bytes })
}

export function forgetRunningDigest(services: Services, sessionId: string) {
  runningOf(services).delete(sessionId)
}

/** "sha256:<hex>" of the session's bytes when the running hash covers exactly `bytes` bytes. */
export function finishedDigest(services: Services, sessionId: string, bytes: number): string | null {
  const running = runningOf(services).get(sessionId)
  if (!running || running.bytes !== bytes) return bytes === 0 ? 'sha256:' + createHash('sha256').digest('hex') : null
  return 'sha256:' + running.hash.copy().digest('hex')
}
