// How the S3 client deals with a store that misbehaves: how long it waits for a connection and for an
// answer, and how many times it tries a request. Without these the SDK waits forever on a store that
// accepts a connection and never answers (a request, and the upload or pull behind it, hangs). Every
// request Stowage sends has a body in memory (PutObject and UploadPart of Buffers), so the SDK's retries
// of resets, timeouts and 5xx answers are safe: nothing half-sent is ever "retried" from a used stream.
export type S3ClientTuning = {
  /** S3_CONNECT_TIMEOUT_SECONDS: a connection not established within this fails (then is retried) */
  connectTimeoutMs: number
  /**
   * S3_REQUEST_TIMEOUT_SECONDS: a request (its body sent) whose answer has not begun within this fails
   * (then is retried). Not a limit on how long a download's body may take: a slow client may hold it.
   */
  requestTimeoutMs: number
  /** S3_MAX_ATTEMPTS: tries of one request (resets, timeouts, 5xx, throttling) before it fails */
  maxAttempts: number
}

export const defaultS3ClientTuning: S3ClientTuning = {
  connectTimeoutMs: 5_000,
  // one 8 MiB part must be sent and answered within this: ~140 KB/s at least
  requestTimeoutMs: 60_000,
  maxAttempts: 3,
}

export function s3ClientOptions(t: Partial<S3ClientTuning> = {}) {
  const tuning = { ...defaultS3ClientTuning, ...t }
  return {
    maxAttempts: tuning.maxAttempts,
    // options, not a handler instance: the client builds its own Node handler from them
    requestHandler: {
      connectionTimeout: tuning.connectTimeoutMs,
      requestTimeout: tuning.requestTimeoutMs,
      // the SDK only warns about an exceeded requestTimeout unless told to fail the request
      throwOnRequestTimeout: true,
    },
  }
}
