// Sends one archive with the tus resumable protocol (tus-js-client, bundled): a lost connection is
// retried from the last byte the server has, pause/resume keep the server's copy, and a file chosen
// again after a page reload continues where it stopped (its fingerprint, kept in localStorage, finds the
// server's upload). The server answers the last PATCH once the import committed; the outcome is then
// read from the upload's status URL (lib/http/tus-routes.ts).
import { Upload, type DetailedError } from 'tus-js-client'
import { ApiFailure, failureFrom, type UploadResult } from '../api-client'

export const TUS_ENDPOINT = '/api/uploads/tus'

export type ResumableProgress = { sent: number; total: number; bodySent: boolean }

export type ResumableHandle = {
  done: Promise<UploadResult>
  /** where the server's copy started when this upload began (0 = from scratch), once known */
  resumedFrom(): number | null
  pause(): void
  resume(): void
  cancel(): void
}

export type ResumableTarget = { repository?: string; tag?: string; organization?: string | null }

/** Waits between retries after a lost connection: quick at first, then every 30 s for about ten minutes. */
const RETRY_DELAYS = [0, 1000, 3000, 5000, 10_000, ...Array(20).fill(30_000)]

export function sendResumable(file: File, target: ResumableTarget, onProgress: (p: ResumableProgress) => void): ResumableHandle {
  let resumedFrom: number | null = null
  let cancelled = false
  let upload: Upload | null = null
  let settle: { resolve(r: UploadResult): void; reject(e: ApiFailure): void } | null = null
  const done = new Promise<UploadResult>((resolve, reject) => (settle = { resolve, reject }))

  const metadata: Record<string, string> = { filename: file.name }
  if (target.repository) metadata.repository = target.repository
  if (target.tag) metadata.tag = target.tag
  if (target.organization) metadata.organization = target.organization

  const fingerprintOf = fileFingerprint(file, target)
  void (async () => {
    const fingerprint = await fingerprintOf
    upload = new Upload(file, {
      endpoint: new URL(TUS_ENDPOINT, window.location.href).toString(),
      metadata,
      fingerprint: async () => fingerprint,
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      retryDelays: RETRY_DELAYS,
      // one PATCH for the whole file: the server streams it into the import as it arrives
      chunkSize: Infinity,
      onAfterResponse: (req, res) => {
        // the first HEAD or POST tells where this session starts
        if (resumedFrom === null && (req.getMethod() === 'HEAD' || req.getMethod() === 'POST')) {
          resumedFrom = Number(res.getHeader('Upload-Offset') ?? 0) || 0
        }
      },
      onProgress: (sent, total) => onProgress({ sent, total, bodySent: sent >= total }),
      onSuccess: () => void outcome(upload!.url!).then(settle!.resolve, settle!.reject),
      onError: (e) => {
        const failure = cancelled ? cancelledFailure() : failureOf(e)
        // a rejected archive is not resumed when chosen again: it is sent anew
        if (failure.status > 0) forgetFingerprint(fingerprint)
        settle!.reject(failure)
      },
    })
    const previous = await upload.findPreviousUploads().catch(() => [])
    if (previous.length) upload.resumeFromPreviousUpload(previous[0])
    if (!cancelled) upload.start()
  })().catch((e) => settle!.reject(new ApiFailure(0, 'UNEXPECTED', String(e))))

  return {
    done,
    resumedFrom: () => resumedFrom,
    pause: () => void upload?.abort(false),
    resume: () => upload?.start(),
    cancel: () => {
      cancelled = true
      // terminate: the server stops the import and deletes what it staged
      void fingerprintOf.then(forgetFingerprint)
      void (upload ? upload.abort(true) : Promise.resolve()).catch(() => {}).finally(() => settle!.reject(cancelledFailure()))
    },
  }
}

const cancelledFailure = () => new ApiFailure(0, 'CANCELLED', 'the upload was cancelled; nothing was imported from this file')

/** The import's outcome, from the upload's status URL (polled while the server still commits). */
async function outcome(url: string): Promise<UploadResult> {
  for (;;) {
    const res = await fetch(url, { headers: { Accept: 'application/json' } })
    const text = await res.text()
    if (!res.ok) throw failureFrom(res.status, text)
    const s = JSON.parse(text)
    if (s.state === 'committed') return s.result as UploadResult
    if (s.state === 'failed') throw new ApiFailure(s.status ?? 422, s.error.code, s.error.message)
    await new Promise((r) => setTimeout(r, 500))
  }
}

function failureOf(e: Error | DetailedError): ApiFailure {
  const res = (e as DetailedError).originalResponse
  if (res && res.getStatus() > 0) return failureFrom(res.getStatus(), res.getBody() ?? '')
  return new ApiFailure(0, 'NETWORK', 'the connection to the server was lost and did not come back; choose the same file again to continue where it stopped')
}

/**
 * Recognises the same file chosen again after a reload: name, size and modification time, the names it
 * is uploaded under, and a hash of its first MiB (a different file of the same size and name differs there).
 */
async function fileFingerprint(file: File, target: ResumableTarget): Promise<string> {
  let head = ''
  if (globalThis.crypto?.subtle) {
    const digest = await crypto.subtle.digest('SHA-256', await file.slice(0, 1024 * 1024).arrayBuffer())
    head = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('')
  }
  return ['stowage-tus', file.name, file.size, file.lastModified, target.organization ?? '', target.repository ?? '', target.tag ?? '', head].join('|')
}

/** Drops what tus-js-client's URL storage (localStorage, keys `tus::<fingerprint>::…`) remembers of this file. */
function forgetFingerprint(fingerprint: string) {
  try {
    const prefix = `tus::${fingerprint}::`
    for (const key of Object.keys(localStorage)) if (key.startsWith(prefix)) localStorage.removeItem(key)
  } catch {
    // storage unavailable: nothing was remembered
  }
}
