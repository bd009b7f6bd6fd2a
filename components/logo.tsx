// The Stowage mark: stacked crates (layers) in a hold.
export function Logo({ className = 'h-7 w-7' }: { className?: string }) {
  return (
    <svg viewBox="0 0 32 32" className={className} aria-hidden="true">
      <rect width="32" height="32" rx="7" className="fill-indigo-600" />
      <rect x="7" y="18" width="18" height="6" rx="1.5" className="fill-white" />
      <rect x="9" y="11" width="14" height="5.5" rx="1.5" className="fill-indigo-200" />
      <rect x="11" y="5" width="10" height="4.5" rx="1.5" className="fill-indigo-300" />
    </svg>
  )
}
