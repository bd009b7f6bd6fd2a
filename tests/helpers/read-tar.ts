// Reading a tar archive back in tests.
import fs from 'node:fs'
import tar from 'tar-stream'

export type TarEntry = { name: string; type: string; data: Buffer }

/** Every entry of a tar archive (its bytes, or the path of a file) in order, names repeated if the archive repeats them; in memory (the archives here are a few MB). */
export async function tarEntries(source: Buffer | string): Promise<TarEntry[]> {
  const out: TarEntry[] = []
  const extract = tar.extract()
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = []
    stream.on('data', (c) => chunks.push(c as Buffer))
    stream.on('end', () => {
      out.push({ name: header.name, type: header.type ?? 'file', data: Buffer.concat(chunks) })
      next()
    })
  })
  await new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve).on('error', reject)
    if (typeof source === 'string') fs.createReadStream(source).on('error', reject).pipe(extract)
    else extract.end(source)
  })
  return out
}

/** Every regular file of a tar archive by name (a later entry of the same name wins). */
export async function tarFiles(source: Buffer | string): Promise<Map<string, Buffer>> {
  return new Map((await tarEntries(source)).filter((e) => e.type === 'file').map((e) => [e.name, e.data]))
}
