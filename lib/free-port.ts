// A free TCP port on 127.0.0.1, for child servers that cannot be told to pick one and report it (the embedded
// S3 server, distribution in the benchmarks). Another process may take it before the child binds: callers
// retry their start on EADDRINUSE where that matters.
import net from 'node:net'

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port
      srv.close(() => resolve(port))
    })
  })
}
