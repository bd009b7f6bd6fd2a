// /repositories/<name...>            -> the repository's tags
// /repositories/<name...>/-/tags/<tag> -> one image
import type { Metadata } from 'next'
import { notFound } from 'next/navigation'
import { parseRepositoryPath } from '@/components/routes'
import { RepositoryView } from '@/components/repository-view'
import { ImageView } from '@/components/image/image-view'
import { DigestView } from '@/components/image/index-digest-view'

type Props = { params: Promise<{ path: string[] }> }

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const route = parseRepositoryPath((await params).path)
  if (!route) return { title: 'Not found' }
  if (route.digest) return { title: `${route.repository}@${route.digest.slice(0, 19)}` }
  return { title: route.tag ? `${route.repository}:${route.tag}` : route.repository }
}

export default async function RepositoryPage({ params }: Props) {
  const route = parseRepositoryPath((await params).path)
  if (!route) notFound()
  if (route.digest) return <DigestView key={`${route.repository}@${route.digest}`} repository={route.repository} digest={route.digest} />
  // key: a different tag is a different page (no stale state carried across).
  return route.tag ? <ImageView key={`${route.repository}:${route.tag}`} repository={route.repository} tag={route.tag} /> : <RepositoryView key={route.repository} repository={route.repository} />
}
