// Where a request comes from and which origin it addressed. X-Forwarded-For/-Proto/-Host are honoured
// only when the connection comes from a trusted proxy (STOWAGE_TRUSTED_PROXIES); anyone else could
// write them to pose as another address or as an HTTPS origin.
import net from 'node:net'
import type { IncomingMessage } from 'node:http'
import type { TLSSocket } from 'node:tls'
import type { Services } from '../services'

export type NetworkSettings = {
  /** addresses or CIDR blocks of reverse proxies whose X-Forwarded-* headers are believed */
  trustedProxies?: net.BlockList | null
}

/** Parses "10.0.0.1, 10.1.0.0/16, ::1" into a BlockList; throws with the bad entry. */
export function parseTrustedProxies(list: string): net.BlockList {
  const blocks = new net.BlockList()
  for (const raw of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [addr, prefix] = raw.split('/')
    const type = net.isIPv4(addr) ? 'ipv4' : net.isIPv6(addr) ? 'ipv6' : null
    if (!type) throw new Error(`"${raw}" is not an IP address or CIDR block`)
    if (prefix === undefined) blocks.addAddress(addr, type)
    else {
      const bits = Number(prefix)
      if (!Number.isInteger(bits) || bits < 0 || bits > (type === 'ipv4' ? 32 : 128)) throw new Error(`"${raw}" has an invalid prefix length`)
      blocks.addSubnet(addr, bits, type)
    }
  }
  return blocks
}

const peerAddress = (req: IncomingMessage) => (req.socket?.remoteAddress ?? '').replace(/^::ffff:/, '')

export function fromTrustedProxy(services: Services, req: IncomingMessage) {
  const list = services.network?.trustedProxies
  if (!list) return false
  const peer = peerAddress(req)
  return net.isIP(peer) ? list.check(peer, net.isIPv4(peer) ? 'ipv4' : 'ipv6') : false
}

const firstHeader = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.split(',')[0]?.trim() || null

/** The client's address: the peer, or the left-most X-Forwarded-For entry when the peer is a trusted proxy. */
export function clientAddress(services: Services, req: IncomingMessage): string {
  if (fromTrustedProxy(services, req)) {
    const forwarded = firstHeader(req.headers['x-forwarded-for'])
    if (forwarded && net.isIP(forwarded.replace(/^::ffff:/, ''))) return forwarded.replace(/^::ffff:/, '')
  }
  return peerAddress(req)
}

/** The scheme, host and origin the client used (what links and cookies must name). */
export function requestOrigin(services: Services, req: IncomingMessage): { proto: 'http' | 'https'; host: string; origin: string } {
  const trusted = fromTrustedProxy(services, req)
  const direct = (req.socket as TLSSocket | undefined)?.encrypted ? 'https' : 'http'
  const fwdProto = trusted ? firstHeader(req.headers['x-forwarded-proto']) : null
  const proto = fwdProto === 'https' || fwdProto === 'http' ? fwdProto : direct
  const host = (trusted ? firstHeader(req.headers['x-forwarded-host']) : null) ?? req.headers.host ?? 'localhost'
  return { proto, host, origin: `${proto}://${host}` }
}
