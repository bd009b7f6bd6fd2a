// A TCP forwarder in front of a real server (the test stack's s3rver or PostgreSQL) that a test can close
// and open again on the same port: the dependency "goes away" (connections refused, open ones cut) and
// "comes back" exactly as a restarted server would, without restarting the real one.
import net from 'node:net'
import { once } from 'node:events'

export type TcpGate = { port: number; url(scheme: string, rest?: string): string; close(): Promise<void>; open(): Promise<void> }

export async function tcpGate(target: { host: string; port: number }): Promise<TcpGate> {
  const sockets = new Set<net.Socket>()
  let server: net.Server | null = null
  let port = 0
  const listen = async () => {
    server = net.createServer((client) => {
      const upstream = net.connect(target.port, target.host)
      for (const s of [client, upstream]) {
        sockets.add(s)
        s.on('error', () => {})
        s.on('close', () => sockets.delete(s))
      }
      client.pipe(upstream).pipe(client)
      client.on('close', () => upstream.destroy())
      upstream.on('close', () => client.destroy())
    })
    server.listen(port, '127.0.0.1')
    await once(server, 'listening')
    port = (server.address() as net.AddressInfo).port
  }
  await listen()
  return {
    get port() {
      return port
    },
    url: (scheme, rest = '') => `${scheme}://127.0.0.1:${port}${rest}`,
    async close() {
      const s = server
      server = null
      for (const socket of sockets) socket.destroy()
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()))
    },
    async open() {
      if (!server) await listen()
    },
  }
}
