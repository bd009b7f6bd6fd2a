// Settings of the HTTP front door (from STOWAGE_UPLOAD_IDLE_SECONDS and STOWAGE_REJECT_DRAIN_BYTES).
export type HttpSettings = {
  /** Close a connection whose request body sends no byte for this long (0 = never). */
  uploadIdleMs: number
  /** After a rejection found mid-upload, read and drop at most this many more body bytes before closing. */
  rejectDrainBytes: number
}

export const defaultHttpSettings: HttpSettings = {
  uploadIdleMs: 60_000,
  // no byte bound by default: draining stores nothing, and a silent client is cut by the idle time
  rejectDrainBytes: Number.MAX_SAFE_INTEGER,
}

export function httpSettings(partial?: Partial<HttpSettings>): HttpSettings {
  return { ...defaultHttpSettings, ...partial }
}
