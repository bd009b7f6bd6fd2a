// A rejected upload: a stable code for programs, a message that tells a person what is wrong.
export type ImportErrorCode =
  | 'EMPTY_UPLOAD'
  | 'NOT_A_TAR'
  | 'UNSUPPORTED_COMPRESSION'
  | 'TRUNCATED'
  | 'CORRUPT_COMPRESSION'
  | 'ENTRY_PATH_INVALID'
  | 'DUPLICATE_ENTRY'
  | 'TOO_MANY_ENTRIES'
  | 'TOO_MANY_IMAGES'
  | 'TOO_MANY_TAGS'
  | 'TOO_MANY_LAYERS'
  | 'ARCHIVE_TOO_LARGE'
  | 'INFLATE_RATIO_EXCEEDED'
  | 'HEADER_TOO_LARGE'
  | 'METADATA_TOO_LARGE'
  | 'JSON_TOO_LARGE'
  | 'JSON_TOO_DEEP'
  | 'JSON_INVALID'
  | 'LAYOUT_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'REFERENCE_INVALID'
  | 'CONFIG_MISSING'
  | 'CONFIG_INVALID'
  | 'DIGEST_MISMATCH'
  | 'LAYER_MISSING'
  | 'LAYER_NOT_REGULAR'
  | 'LAYER_DIGEST_MISMATCH'
  | 'LAYER_COUNT_MISMATCH'
  | 'LAYER_TOO_LARGE'
  | 'NAME_REQUIRED'
  | 'NAME_INVALID'
  | 'NAME_AMBIGUOUS'
  | 'CLIENT_ABORTED'
  | 'CLIENT_IDLE'
  | 'STORAGE_FAILED'
  | 'STORAGE_UNAVAILABLE'
  | 'DATABASE_UNAVAILABLE'
  | 'DENIED'
  | 'QUOTA_EXCEEDED'
  | 'UPLOAD_INTERRUPTED'

export class ImportError extends Error {
  constructor(
    readonly code: ImportErrorCode,
    message: string,
    readonly status = 422,
    /** extra facts for programs (a quota's what/limit/usage) */
    readonly detail?: Record<string, unknown>,
  ) {
    super(message)
    this.name = 'ImportError'
  }
}

export const isImportError = (e: unknown): e is ImportError => e instanceof ImportError
