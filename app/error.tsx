'use client'
// A console page whose server rendering failed (database unreachable, say): the error panel with a
// retry, instead of Next's bare "Application error".
import { ErrorPanel } from '@/components/page-states'

export default function PageError({ reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return <ErrorPanel error={{ status: 500, code: 'INTERNAL', message: 'this page could not be rendered; the server log says why' }} onRetry={reset} />
}
