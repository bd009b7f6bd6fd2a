// Which database a DATABASE_URL points at. SQLite is the embedded default, PostgreSQL the real deployment.
export type DbProvider = 'sqlite' | 'postgresql'

export function providerOf(url: string): DbProvider {
  if (url.startsWith('file:')) return 'sqlite'
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return 'postgresql'
  throw new Error(`DATABASE_URL must start with file: (SQLite) or postgresql:// (PostgreSQL), got "${url.split(':')[0]}:…"`)
}

export function schemaDirOf(provider: DbProvider) {
  return provider === 'postgresql' ? 'prisma/pg' : 'prisma/sqlite'
}
