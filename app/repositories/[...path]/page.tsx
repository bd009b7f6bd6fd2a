// /repositories/<name...>            -> the repository's tags
// /repositories/<name...>/-/tags/<tag> -> one image
import type { Metadata } from 'next'
import { notFound } from 'next/navigation'
import { parseRepositoryPath } from '@/components/routes'
import { RepositoryView } from '@/components/repository-view'
import { ImageView } from '@/components/image/image-view'

type Props = { params: Promise<{ path: string[] }> }

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const route = parseRepositoryPath((await params).path)
  if (!route) return { title: 'Not found' }
  return { title: route.tag ? `${route.repository}:${route.tag}` : route.repository }
}

export default async function RepositoryPage({ params }: Props) {
  const route = parseRepositoryPath((await params).path)
  if (!route) notFound()
  // key: a different tag is a different page (no stale state carried across).
  return route.tag ? <ImageView key={`${route.repository}:${route.tag}`} repository={route.repository} tag={route.tag} /> : <RepositoryView key={route.repository} repository={route.repository} />
}
