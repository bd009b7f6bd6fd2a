// The repository list, rendered on the server from the URL (?q=, ?sort=, ?page=, ?pageSize=): a deep
// link shows its results in the first HTML, and typing a search re-renders here.
import { RepositoryBrowser } from '@/components/repository-browser'
import { publicRepositoryNames, repositoryListData } from '@/lib/console/page-data'
import { isRepositorySort } from '@/lib/registry/queries'

export const dynamic = 'force-dynamic'

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> }

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? ''
// the console tolerates odd page numbers (the API refuses them): anything unusable is page 1
const positiveInt = (raw: string, fallback: number, max: number) => {
  const n = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN
  return n > 0 ? Math.min(n, max) : fallback
}

export default async function RepositoriesPage({ searchParams }: Props) {
  const params = await searchParams
  const q = one(params.q).trim()
  const sortParam = one(params.sort)
  const sort = isRepositorySort(sortParam) ? sortParam : 'name'
  const page = positiveInt(one(params.page), 1, 1_000_000)
  const explicitPageSize = one(params.pageSize) ? positiveInt(one(params.pageSize), 20, 100) : undefined
  // only what the caller may read (lib/console/page-data.ts), as GET /api/repositories lists it
  const result = await repositoryListData(q, page, explicitPageSize ?? 20, sort)
  const publicNames = await publicRepositoryNames(result.data?.repositories.map((r: { name: string }) => r.name) ?? [])
  return <RepositoryBrowser q={q} sort={sort} pageSize={explicitPageSize} data={result.data} error={result.error} publicNames={publicNames.data ?? []} />
}
