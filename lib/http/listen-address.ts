// What the start-up line says: the address the socket is really bound to, and a URL that a client on
// this machine can connect to (a wildcard address is not one for every client, e.g. browsers).
import type { AddressInfo } from 'node:net'

/** https when the server itself serves TLS (STOWAGE_TLS_CERT/KEY) */
export type Scheme = 'http' | 'https'

export function describeListening(address: AddressInfo, scheme: Scheme = 'http'): { url: string; boundTo: string; allInterfaces: boolean } {
  const v6 = address.family === 'IPv6' || address.address.includes(':')
  const allInterfaces = address.address === '0.0.0.0' || address.address === '::'
  const bracket = (a: string) => (a.includes(':') ? `[${a}]` : a)
  const connectable = allInterfaces ? (v6 ? '::1' : '127.0.0.1') : address.address
  return {
    url: `${scheme}://${bracket(connectable)}:${address.port}`,
    boundTo: `${bracket(address.address)}:${address.port}`,
    allInterfaces,
  }
}

/** "Stowage listening on http://HOST:PORT ..." (tests and the bench read the URL from this prefix). */
export function startupLine(address: AddressInfo, scheme: Scheme = 'http'): string {
  const { url, boundTo, allInterfaces } = describeListening(address, scheme)
  const where = allInterfaces
    ? `bound to ${boundTo}, ALL network interfaces`
    : `bound to ${boundTo} only`
  return `Stowage listening on ${url} (${where}; console: ${url}/, registry: ${url.replace(/^https?:\/\//, '')}/v2/)`
}

/** The one-time link that creates the first administrator (printed when no user exists). */
export function setupLine(address: AddressInfo, token: string, scheme: Scheme = 'http'): string {
  const { url } = describeListening(address, scheme)
  return `No user exists yet. Create the first administrator here (one-time link): ${url}/setup?token=${token} (or start with STOWAGE_ADMIN_PASSWORD=... to create user "admin" without the link)`
}
