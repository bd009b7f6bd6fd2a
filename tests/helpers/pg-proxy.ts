// A TCP proxy in front of the machine's PostgreSQL, so a test can do to Stowage what a database restart or
// a network cut does — without restarting the shared server that other tests use: reset every open
// connection, refuse new ones for a while, or cut the connection that sends a given statement (e.g. the
// COMMIT of an upload) before the server sees it.
import net from 'node:net'
import { once } from 'node:events'

export type PgProxy = {
  port: number
  /** the database URL with its host and port replaced by the proxy's */
  urlFor(databaseUrl: string): string
  /** destroys every open connection (both sides), as a server restart does */
  resetAll(): void
  /** resets everything and refuses new connections for `ms` (the listener is closed, then reopened) */
  refuseFor(ms: number): Promise<void>
  /**
   * The next `count` connections that send a message containing `text` (the SQL, as the wire carries it)
   * are destroyed before the message reaches the server. Resolves the returned promise at the first cut.
   */
  cutOn(text: string, count?: number): Promise<void>
  /** while true, new connections are accepted and never answered (a server that hangs) */
  blackhole: boolean
  /** connections cut by cutOn so far */
  cuts: number
  close(): Promise<void>
}

export async function pgProxy(target: { host: string; port: number }): Promise<PgProxy> {
  const sockets = new Set<net.Socket>()
  const triggers: { text: Buffer; left: number; fired: () => void }[] = []
  let server: net.Server | null = null
  let port = 0
  let cuts = 0

  let blackhole = false
  const onClient = (client: net.Socket) => {
    if (blackhole) {
      sockets.add(client)
      client.on('error', () => {})
      client.on('close', () => sockets.delete(client))
      return
    }
    const upstream = net.connect(target.port, target.host)
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('error', () => {})
      s.on('close', () => sockets.delete(s))
    }
    client.on('data', (chunk: Buffer) => {
      const t = triggers.find((t) => t.left > 0 && chunk.includes(t.text))
      if (t) {
        t.left--
        cuts++
        client.destroy()
        upstream.destroy()
        t.fired()
        return
      }
      if (!upstream.write(chunk)) client.pause()
    })
    upstream.on('drain', () => client.resume())
    upstream.pipe(client)
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  }

  const listen = async () => {
    const s = net.createServer(onClient)
    s.listen(port, '127.0.0.1')
    await once(s, 'listening')
    port = (s.address() as net.AddressInfo).port
    server = s
  }
  await listen()

  const resetAll = () => {
    for (const s of sockets) s.destroy()
  }
  const stop = async () => {
    const s = server
    server = null
    resetAll()
    if (s) await new Promise<void>((r) => s.close(() => r()))
  }

  return {
    get port() {
      return port
    },
    urlFor(databaseUrl) {
      const u = new URL(databaseUrl)
      u.hostname = '127.0.0.1'
      u.port = String(port)
      return u.toString()
    },
    resetAll,
    async refuseFor(ms) {
      await stop()
      await new Promise((r) => setTimeout(r, ms))
      await listen()
    },
    cutOn(text, count = 1) {
      return new Promise<void>((fired) => {
        let done = false
        triggers.push({
          text: Buffer.from(text),
          left: count,
          fired: () => {
            if (!done) (done = true), fired()
          },
        })
      })
    },
    get blackhole() {
      return blackhole
    },
    set blackhole(v: boolean) {
      blackhole = v
    },
    get cuts() {
      return cuts
    },
    close: stop,
  }
}
