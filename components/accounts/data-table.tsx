// The account pages' tables (organizations, users, tokens, audit events): one look for the header and
// rows, scrolling sideways inside its card rather than widening the page on a phone.
import type { ReactNode } from 'react'

/** A column heading; `className` hides it at small widths (with its cells) or aligns it. */
export type Column = { label: ReactNode; className?: string }

export function DataTable({ columns, children, className = '', nowrapHead = false }: { columns: (Column | false)[]; children: ReactNode; className?: string; nowrapHead?: boolean }) {
  return (
    <div className={`relative overflow-x-auto ${className}`}>
      <table className="w-full text-left text-sm">
        <thead className={`border-b border-slate-200 bg-slate-50 text-xs font-medium tracking-wide ${nowrapHead ? 'whitespace-nowrap ' : ''}text-slate-600 uppercase`}>
          <tr>
            {columns.map(
              (c, i) =>
                c && (
                  <th key={i} scope="col" className={c.className ? `px-4 py-3 ${c.className}` : 'px-4 py-3'}>
                    {c.label}
                  </th>
                ),
            )}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">{children}</tbody>
      </table>
    </div>
  )
}
