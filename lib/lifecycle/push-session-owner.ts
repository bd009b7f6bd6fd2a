// The owner id of what a registry push session leaves in the database until it finishes: its staged
// objects (StagedObject.ownerId) and its S3 multipart upload (MultipartUpload.ownerId). One prefix for
// both. Multipart records were once written "oci-upload:<session id>"; databases written by that version
// may still hold such rows (a session in flight during an upgrade), so reading accepts both prefixes.
// Archive uploads own their rows by their bare upload id (a UUID, never one of these prefixes).

export const PUSH_SESSION_OWNER_PREFIX = 'blob-upload:'
const OLDER_MULTIPART_PREFIX = 'oci-upload:'

export const pushSessionOwner = (sessionId: string) => PUSH_SESSION_OWNER_PREFIX + sessionId

/** The push session an owner id names (either prefix), or null when it is not a push session's. */
export function pushSessionOf(ownerId: string): string | null {
  for (const prefix of [PUSH_SESSION_OWNER_PREFIX, OLDER_MULTIPART_PREFIX]) if (ownerId.startsWith(prefix)) return ownerId.slice(prefix.length)
  return null
}
