// What an image page shows once its image was deleted by digest: that it is gone, which tags went with
// it, and the way back to the repository.
import Link from 'next/link'
import type { ReactNode } from 'react'
import { repositoryHref } from '../routes'
import type { DeletedImage } from './delete-image-button'

export function ImageDeleted({ repository, result, crumbs }: { repository: string; result: DeletedImage; crumbs: ReactNode }) {
  return (
    <div>
      {crumbs}
      <div role="status" data-testid="image-deleted" className="rounded-xl border border-emerald-200 bg-white px-6 py-10 text-center">
        <h1 className="text-lg font-semibold text-slate-900">Image deleted</h1>
        <p className="mx-auto mt-2 max-w-xl text-sm break-all text-slate-600">
          <span className="font-mono text-xs text-slate-900">{result.deleted}</span>
        </p>
        <p className="mx-auto mt-2 max-w-xl text-sm text-slate-600">
          {result.tags.length ? (
            <>
              Deleted with it: {result.tags.map((t, i) => (
                <span key={t}>
                  {i > 0 && ', '}
                  <span className="font-mono break-all text-slate-900">{t}</span>
                </span>
              ))}
              .{' '}
            </>
          ) : null}
          It can no longer be pulled; its data is freed at the next garbage collection.
        </p>
        <div className="mt-5 flex justify-center">
          <Link href={repositoryHref(repository)} className="btn-secondary break-all">
            Back to {repository}
          </Link>
        </div>
      </div>
    </div>
  )
}
