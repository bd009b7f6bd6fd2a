'use client'
// Reads a chosen file in the browser before anything is sent (lib/archive/preview-archive: headers and
// small JSON only) and looks up the tags it would set, so the page can show what an upload would do.
import { useEffect, useMemo, useRef, useState } from 'react'
import { previewArchive, tagChanges, type ArchivePreview, type TagChange } from '@/lib/archive/preview-archive'
import { apiRequest, ApiFailure, type TagDetail } from '../api-client'
import { api } from '../routes'
import type { ImageNameInput } from './upload-queue'

export type PreviewState = { kind: 'reading' } | { kind: 'unreadable'; message: string } | ArchivePreview

/** What the tag points to now: absent (a new tag), a digest, or unknown (lookup failed). */
export type CurrentTag = { state: 'checking' } | { state: 'absent' } | { state: 'present'; digest: string } | { state: 'unknown' }

/** At most this many tags per file are looked up (an archive may list thousands). */
export const MAX_TAG_LOOKUPS = 20
const LOOKUP_PAUSE_MS = 250

export function useArchivePreview(file: File): PreviewState {
  const [state, setState] = useState<PreviewState>({ kind: 'reading' })
  useEffect(() => {
    let live = true
    setState({ kind: 'reading' })
    previewArchive(file)
      .then((p) => live && setState(p))
      .catch((e) => live && setState({ kind: 'unreadable', message: `the browser could not read this file (${String(e?.message ?? e)}); the server will check it` }))
    return () => {
      live = false
    }
  }, [file])
  return state
}

const key = (t: { repository: string; tag: string }) => `${t.repository}:${t.tag}`

/** The tags an upload would set (first MAX_TAG_LOOKUPS), each with its current digest on the server. */
export function useTagChanges(preview: PreviewState, name: ImageNameInput | null) {
  const changes = useMemo(() => (preview.kind === 'images' ? tagChanges(preview, name) : []), [preview, name?.repository, name?.tag]) // eslint-disable-line react-hooks/exhaustive-deps
  const shown = changes.slice(0, MAX_TAG_LOOKUPS)
  const [current, setCurrent] = useState<Record<string, CurrentTag>>({})
  const wanted = shown.map(key).join('\n')
  const requested = useRef(new Set<string>())
  useEffect(() => {
    // A name being typed changes with every key: look it up once the typing pauses.
    const timer = setTimeout(() => {
      for (const t of shown) {
        const k = key(t)
        if (requested.current.has(k)) continue
        requested.current.add(k)
        apiRequest<TagDetail>(api.tag(t.repository, t.tag))
          .then((d): CurrentTag => ({ state: 'present', digest: d.digest }))
          .catch((e): CurrentTag => (e instanceof ApiFailure && e.status === 404 ? { state: 'absent' } : { state: 'unknown' }))
          .then((v) => setCurrent((c) => ({ ...c, [k]: v })))
      }
    }, LOOKUP_PAUSE_MS)
    return () => clearTimeout(timer)
  }, [wanted]) // eslint-disable-line react-hooks/exhaustive-deps
  return {
    total: changes.length,
    tags: shown.map((t: TagChange) => ({ ...t, current: current[key(t)] ?? ({ state: 'checking' } as CurrentTag) })),
  }
}
