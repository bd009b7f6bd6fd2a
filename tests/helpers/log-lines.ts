// The server's JSON request lines (lib/ops/exchange.ts) in captured output, to assert on their fields.
export type RequestLine = { reqId: string; method: string; route: string; path: string; status: number | null; bytesIn: number; bytesOut: number; durationMs: number; client: string; user?: string; code?: string; incomplete?: true }

export function requestLines(output: string, fields: Partial<RequestLine> = {}): RequestLine[] {
  const lines: RequestLine[] = []
  for (const text of output.split('\n')) {
    if (!text.startsWith('{')) continue
    let r: any
    try {
      r = JSON.parse(text)
    } catch {
      continue // a line cut by the capture
    }
    if (r.msg === 'request' && Object.entries(fields).every(([k, v]) => r[k] === v)) lines.push(r)
  }
  return lines
}
