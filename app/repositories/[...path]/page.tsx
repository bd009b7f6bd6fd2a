// /repositories/<name...>                 -> the repository's tags
// /repositories/<name...>/-/tags/<tag>      -> one image by tag
// /repositories/<name...>/-/digests/<digest> -> one image by digest (e.g. an earlier image of a tag)
// /repositories/<name...>/-/compare?from=&to= -> two images of the repository compared
// Rendered on the server: the first HTML holds the page's content.
import type { Metadata } from 'next'
import { notFound } from 'next/navigation'
import { parseRepositoryPath, repositoryHref, tagHref, digestHref, compareHref } from '@/components/routes'
import { RepositoryView } from '@/components/repository-view'
import { ImageView } from '@/components/image/image-view'
import { DigestView } from '@/components/image/digest-view'
import { CompareView } from '@/components/compare/compare-view'
import { imageByDigestData, publicRepositoryNames, tagDetailData, tagListData, untaggedImagesData } from '@/lib/console/page-data'
import { requirePageAccess } from '@/lib/console/page-auth'

export const dynamic = 'force-dynamic'

type Props = { params: Promise<{ path: string[] }>; searchParams: Promise<Record<string, string | string[] | undefined>> }

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const route = parseRepositoryPath((await params).path)
  if (!route) return { title: 'Not found' }
  if (route.digest) return { title: `${route.repository}@${route.digest.slice(0, 19)}` }
  if (route.compare) return { title: `${route.repository}: compare` }
  return { title: route.tag ? `${route.repository}:${route.tag}` : route.repository }
}

export default async function RepositoryPage({ params, searchParams }: Props) {
  const route = parseRepositoryPath((await params).path)
  if (!route) notFound()
  const query = await searchParams
  const tag = query.tag
  const one = (v: string | string[] | undefined) => (typeof v === 'string' ? v : '')
  if (route.compare) {
    const here = compareHref(route.repository, one(query.from), one(query.to))
    await requirePageAccess('read', { kind: 'repository', name: route.repository }, here)
    // fetched by the client (the comparison may wait for layer indexes): key resets its page state
    return <CompareView key={`${one(query.from)}\u0000${one(query.to)}`} repository={route.repository} from={one(query.from)} to={one(query.to)} />
  }
  const here = route.digest ? digestHref(route.repository, route.digest, typeof tag === 'string' ? tag : undefined) : route.tag ? tagHref(route.repository, route.tag) : repositoryHref(route.repository)
  // not readable: anonymous callers sign in first; others get the 404 page (existence is not revealed)
  await requirePageAccess('read', { kind: 'repository', name: route.repository }, here)
  if (route.digest) {
    const { data, error } = await imageByDigestData(route.repository, route.digest)
    return <DigestView repository={route.repository} digest={route.digest} suggestedTag={typeof tag === 'string' ? tag : ''} data={data} error={error} />
  }
  if (route.tag) {
    const { data, error } = await tagDetailData(route.repository, route.tag)
    // key: a different tag is a different page (no stale state carried across).
    return <ImageView key={`${route.repository}:${route.tag}`} repository={route.repository} tag={route.tag} data={data} error={error} />
  }
  // ?page=: the tags are paged (anything unusable is page 1, as on the repository list)
  const rawPage = query.page
  const page = typeof rawPage === 'string' && /^\d{1,7}$/.test(rawPage) && Number(rawPage) > 0 ? Number(rawPage) : 1
  const [{ data, error }, publicNames, untagged] = await Promise.all([tagListData(route.repository, page), publicRepositoryNames([route.repository]), untaggedImagesData(route.repository)])
  return <RepositoryView key={route.repository} repository={route.repository} data={data} error={error} isPublic={!!publicNames.data?.length} untagged={untagged.data} />
}
