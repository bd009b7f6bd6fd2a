// "Showing 21–40 of 45" with previous/next links.
import Link from 'next/link'

export function Pagination({ page, pageSize, total, hrefFor }: { page: number; pageSize: number; total: number; hrefFor: (page: number) => string }) {
  const pages = Math.max(1, Math.ceil(total / pageSize))
  if (total === 0) return null
  const from = (page - 1) * pageSize + 1
  const to = Math.min(total, page * pageSize)
  const link = (target: number, label: string, enabled: boolean) =>
    enabled ? (
      <Link href={hrefFor(target)} prefetch={false} className="btn-secondary px-3 py-1.5" rel={label === 'Next' ? 'next' : 'prev'}>
        {label === 'Next' ? 'Next →' : '← Previous'}
      </Link>
    ) : (
      <span className="btn-secondary cursor-not-allowed px-3 py-1.5 opacity-40" aria-disabled="true">
        {label === 'Next' ? 'Next →' : '← Previous'}
      </span>
    )
  return (
    <nav aria-label="Pagination" className="flex flex-wrap items-center justify-between gap-3 border-t border-slate-100 px-4 py-3 text-sm text-slate-700">
      <p>
        {from > total ? (
          <>Page {page} is past the end ({total} total)</>
        ) : (
          <>
            Showing <span className="font-medium text-slate-900">{from}</span>–<span className="font-medium text-slate-900">{to}</span> of{' '}
            <span className="font-medium text-slate-900">{total}</span>
          </>
        )}
        {pages > 1 && <span className="ml-2 text-slate-600">· page {page} of {pages}</span>}
      </p>
      {(pages > 1 || page > 1) && (
        <div className="flex gap-2">
          {link(page - 1, 'Previous', page > 1)}
          {link(page + 1, 'Next', page < pages)}
        </div>
      )}
    </nav>
  )
}
