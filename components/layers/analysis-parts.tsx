'use client'
// What the image panels share: a card section whose body follows one image-level endpoint (loading,
// "indexing…" with the layers' progress while it answers 202, its error) and a "show all" list.
import { useState, type ReactNode } from 'react'
import { Section } from '../image/page-parts'
import { Spinner } from '../page-states'
import { MessageText } from '../message-text'
import type { Polled } from './use-api-poll'
import type { Building } from './file-types'

export function PolledSection<T>({ id, title, subtitle, answer, children }: { id: string; title: string; subtitle: ReactNode; answer: Polled<T, Building>; children: (body: T) => ReactNode }) {
  return (
    <Section id={id} title={title} subtitle={subtitle}>
      {answer.state === 'loading' && (
        <p role="status" className="flex items-center gap-2 text-sm text-slate-600">
          <Spinner /> Loading…
        </p>
      )}
      {answer.state === 'waiting' && (
        <p role="status" className="flex items-center gap-2 text-sm text-slate-700" data-testid="indexing">
          <Spinner /> Indexing the image&apos;s layers…
          {answer.body.layers?.length ? ` (${answer.body.layers.filter((l) => l.state === 'ready' || l.state === 'not-a-tar').length} of ${answer.body.layers.length} ready)` : ''}
        </p>
      )}
      {answer.state === 'failed' && (
        <div role="alert" className="text-sm">
          <p className="text-red-700">
            <MessageText text={answer.error.message} />
          </p>
          <p className="mt-1 font-mono text-xs text-slate-600">{answer.error.code}</p>
        </div>
      )}
      {answer.state === 'ready' && children(answer.body)}
    </Section>
  )
}

/** The first `first` items, then a button for the rest. */
export function ShowMore<T>({ items, first = 10, children, label }: { items: T[]; first?: number; label: string; children: (item: T, i: number) => ReactNode }) {
  const [all, setAll] = useState(false)
  const shown = all ? items : items.slice(0, first)
  return (
    <>
      {shown.map(children)}
      {items.length > first && (
        <li className="pt-2">
          <button type="button" className="text-xs font-medium text-indigo-700 hover:underline" onClick={() => setAll(!all)} aria-expanded={all}>
            {all ? 'Show fewer' : `Show all ${items.length} ${label}`}
          </button>
        </li>
      )}
    </>
  )
}
