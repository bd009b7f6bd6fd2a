import Link from 'next/link'

export default function NotFound() {
  return (
    <div className="rounded-xl border border-slate-200 bg-white px-6 py-16 text-center">
      <p className="text-sm font-semibold text-indigo-600">404</p>
      <h1 className="mt-2 text-xl font-semibold text-slate-900">Page not found</h1>
      <p className="mt-2 text-sm text-slate-700">There is no console page at this address.</p>
      <Link href="/" className="btn-primary mt-6">
        Back to repositories
      </Link>
    </div>
  )
}
