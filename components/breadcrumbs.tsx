// "Repositories / example.test/busybox / 1.0" above a page title.
import Link from 'next/link'
import { Fragment } from 'react'

export function Breadcrumbs({ items }: { items: { label: string; href?: string }[] }) {
  return (
    <nav aria-label="Breadcrumb" className="mb-3 flex flex-wrap items-center gap-1.5 text-sm text-slate-600">
      {items.map((item, i) => (
        <Fragment key={i}>
          {i > 0 && <span aria-hidden="true" className="text-slate-600">›</span>}
          {item.href ? (
            <Link href={item.href} className="hover:text-indigo-600 hover:underline">
              {item.label}
            </Link>
          ) : (
            <span className="text-slate-700" aria-current="page">
              {item.label}
            </span>
          )}
        </Fragment>
      ))}
    </nav>
  )
}
