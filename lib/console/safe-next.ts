// The sign-in page's `next` parameter, checked (used by the server page and the browser form).
/**
 * Where to go after signing in: only a path of this console (`/…`), never another site (`//evil`,
 * `/\evil`, `https://…`), so a crafted sign-in link cannot send the user elsewhere.
 */
export function safeNext(raw: string | string[] | undefined): string {
  const value = Array.isArray(raw) ? raw[0] : raw
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\') || /[\u0000-\u001f]/.test(value)) return '/'
  return value
}
