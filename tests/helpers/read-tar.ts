// Reading a tar archive back in tests.
import fs from 'node:fs'
import tar from 'tar-stream'

/** Every regular file of a tar archive (its bytes, or the path of a file), in memory (the archives here are a few MB). */
export async function tarFiles(source: Buffer | string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>()
  const extract = tar.extract()
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = []
    stream.on('data', (c) => chunks.push(c as Buffer))
    stream.on('end', () => {
      if (header.type === 'file') files.set(header.name, Buffer.concat(chunks))
      next()
    })
  })
  await new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve).on('error', reject)
    if (typeof source === 'string') fs.createReadStream(source).on('error', reject).pipe(extract)
    else extract.end(source)
  })
  return files
}
