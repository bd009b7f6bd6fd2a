// The running hash of upload sessions while this process receives them, in the algorithm the session
// was started with (sha256 unless the POST named another, see digest-algorithms.ts). Node cannot
// persist a hash mid-stream, so this is only an optimisation: when the state is here, covers every byte
// received and is in the algorithm of the digest the client finishes with, finishing needs no second
// read of the blob; otherwise (after a restart, chunks received by another process, or a session
// finished with another algorithm) the finished blob is hashed by streaming it back from the bucket.
import type { Hash } from 'node:crypto'
import type { Services } from '../services'
import { DEFAULT_ALGORITHM, newHash, type DigestAlgorithm } from './digest-algorithms'

export type RunningDigest = { hash: Hash; algorithm: DigestAlgorithm }
type Running = RunningDigest & { bytes: number }

/** Hash objects are small; the bound only guards against many abandoned sessions. */
const MAX_SESSIONS = 1000
const perServices = new WeakMap<object, Map<string, Running>>()

function runningOf(services: Services) {
  let map = perServices.get(services.db)
  if (!map) perServices.set(services.db, (map = new Map()))
  return map
}

function keep(services: Services, sessionId: string, running: Running) {
  const map = runningOf(services)
  map.delete(sessionId)
  if (map.size >= MAX_SESSIONS) map.delete(map.keys().next().value!)
  map.set(sessionId, running)
}

/** A new session hashes in `algorithm` from its first byte. */
export function startRunningDigest(services: Services, sessionId: string, algorithm: DigestAlgorithm) {
  keep(services, sessionId, { hash: newHash(algorithm), algorithm, bytes: 0 })
}

/** Takes the running hash of a session that has received `bytes` bytes, if this process has it. */
export function takeRunningDigest(services: Services, sessionId: string, bytes: number): RunningDigest | null {
  const map = runningOf(services)
  const running = map.get(sessionId)
  map.delete(sessionId)
  if (running && running.bytes === bytes) return running
  // nothing received yet (a session started elsewhere, or before a restart): start in the default
  return bytes === 0 ? { hash: newHash(DEFAULT_ALGORITHM), algorithm: DEFAULT_ALGORITHM } : null
}

export function keepRunningDigest(services: Services, sessionId: string, running: RunningDigest, bytes: number) {
  keep(services, sessionId, { ...running, bytes })
}

export function forgetRunningDigest(services: Services, sessionId: string) {
  runningOf(services).delete(sessionId)
}

/** "<algorithm>:<hex>" of the session's bytes when a running hash in `algorithm` covers exactly `bytes` bytes. */
export function finishedDigest(services: Services, sessionId: string, bytes: number, algorithm: DigestAlgorithm): string | null {
  const running = runningOf(services).get(sessionId)
  if (running && running.bytes === bytes && running.algorithm === algorithm) return `${algorithm}:${running.hash.copy().digest('hex')}`
  return bytes === 0 ? `${algorithm}:${newHash(algorithm).digest('hex')}` : null
}
