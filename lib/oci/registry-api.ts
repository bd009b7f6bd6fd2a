// OCI Distribution API (/v2/). Minimal entry point; the full implementation lands with issue 4.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Services } from '../services'

export function isRegistryApi(pathname: string) {
  return pathname === '/v2' || pathname.startsWith('/v2/')
}

export async function handleRegistryApi(_services: Services, req: IncomingMessage, res: ServerResponse) {
  const body = JSON.stringify({ errors: [{ code: 'UNSUPPORTED', message: 'the registry API is not available yet', detail: null }] })
  res.writeHead(req.url === '/v2/' || req.url === '/v2' ? 200 : 404, {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(body)),
    'Docker-Distribution-API-Version': 'registry/2.0',
  })
  res.end(req.method === 'HEAD' ? undefined : body)
}
