'use client'
// The browser's upload queue: up to MAX_PARALLEL archives go to the server at once, each over the
// resumable protocol (send-resumable.ts), so each can be paused, resumed and cancelled on its own and
// survives a lost connection. It lives outside React so an upload keeps running, and its progress stays
// visible, while the user looks at other console pages.
import { useSyncExternalStore } from 'react'
import { ApiFailure, type UploadResult } from '../api-client'
import { api } from '../routes'
import { RateMeter } from './rate-meter'
import { sendResumable, type ResumableHandle } from './send-resumable'

export type ImageNameInput = { repository: string; tag: string }

export type UploadPhase = 'queued' | 'uploading' | 'paused' | 'importing' | 'done' | 'failed'

/** Several files at once, but few: they share one link and one server. */
export const MAX_PARALLEL = 3

export type UploadItem = {
  id: string
  file: File
  /** the repository:tag to give the image ("name as"), or null to use the names inside the archive */
  name: ImageNameInput | null
  /** the organization the archive's names are placed under (?organization=), or null for the names as they are */
  organization: string | null
  phase: UploadPhase
  sent: number
  total: number
  rate: number | null
  startedAt: number | null
  bodySentAt: number | null
  finishedAt: number | null
  result: UploadResult | null
  failure: ApiFailure | null
  /** the byte the server already had when this upload started (a resumed upload), once known */
  resumedFrom: number | null
}

type Listener = () => void

class UploadQueue {
  private items: UploadItem[] = []
  private listeners = new Set<Listener>()
  private active = new Map<string, ResumableHandle>()
  private nextId = 1

  subscribe = (l: Listener) => {
    this.listeners.add(l)
    return () => this.listeners.delete(l)
  }
  snapshot = () => this.items

  add(files: File[], name: ImageNameInput | null, organization: string | null = null) {
    const added = files.map((file) => this.fresh(`u${this.nextId++}`, file, files.length === 1 ? name : null, organization))
    this.items = [...this.items, ...added]
    this.emit()
    this.pump()
  }

  /** Sends the same file again, e.g. with the repository:tag the server asked for (NAME_REQUIRED). */
  retry(id: string, name: ImageNameInput | null) {
    const item = this.items.find((i) => i.id === id)
    if (!item || (item.phase !== 'failed' && item.phase !== 'done')) return
    this.update(id, () => this.fresh(id, item.file, name, item.organization))
    this.pump()
  }

  cancel(id: string) {
    const handle = this.active.get(id)
    if (handle) return handle.cancel() // settles through the failure path
    const item = this.items.find((i) => i.id === id)
    if (item?.phase === 'queued') this.items = this.items.filter((i) => i.id !== id)
    this.emit()
  }

  /** Stops sending; the server keeps what it has and the upload continues from there on resume. */
  pause(id: string) {
    const handle = this.active.get(id)
    if (!handle) return
    handle.pause()
    this.update(id, (i) => (i.phase === 'uploading' ? { ...i, phase: 'paused', rate: null } : i))
  }

  resume(id: string) {
    const handle = this.active.get(id)
    if (!handle) return
    this.update(id, (i) => (i.phase === 'paused' ? { ...i, phase: 'uploading' } : i))
    handle.resume()
  }

  dismiss(id: string) {
    this.items = this.items.filter((i) => i.id !== id || isBusy(i))
    this.emit()
  }

  clearFinished() {
    this.items = this.items.filter((i) => i.phase !== 'done' && i.phase !== 'failed')
    this.emit()
  }

  private fresh(id: string, file: File, name: ImageNameInput | null, organization: string | null): UploadItem {
    return {
      id,
      file,
      name,
      organization,
      phase: 'queued',
      sent: 0,
      total: file.size,
      rate: null,
      startedAt: null,
      bodySentAt: null,
      finishedAt: null,
      result: null,
      failure: null,
      resumedFrom: null,
    }
  }

  private pump() {
    while (this.active.size < MAX_PARALLEL) {
      const next = this.items.find((i) => i.phase === 'queued')
      if (!next) return
      this.send(next)
    }
  }

  private send(next: UploadItem) {
    const meter = new RateMeter()
    const startedAt = Date.now()
    let base: number | null = null
    const target = { repository: next.name?.repository, tag: next.name?.tag, organization: next.organization }
    const handle = sendResumable(next.file, target, (p) => {
      const now = Date.now()
      // the speed counts what this session sent, not what the server had before it resumed
      if (base === null) meter.add(now, 0), (base = p.sent)
      meter.add(now, p.sent - base)
      this.update(next.id, (i) => ({
        ...i,
        sent: p.sent,
        total: p.total,
        rate: meter.rate() ?? i.rate,
        resumedFrom: handle.resumedFrom(),
        phase: i.phase === 'paused' ? 'paused' : p.bodySent ? 'importing' : 'uploading',
        bodySentAt: p.bodySent ? (i.bodySentAt ?? now) : i.bodySentAt,
      }))
    })
    this.active.set(next.id, handle)
    this.update(next.id, (i) => ({ ...i, phase: 'uploading', startedAt }))
    handle.done
      .then((result) => this.update(next.id, (i) => ({ ...i, phase: 'done', sent: i.total, result, finishedAt: Date.now(), resumedFrom: handle.resumedFrom() })))
      .catch((e) =>
        this.update(next.id, (i) => ({
          ...i,
          phase: 'failed',
          failure: e instanceof ApiFailure ? e : new ApiFailure(0, 'UNEXPECTED', String(e)),
          finishedAt: Date.now(),
        })),
      )
      .finally(() => {
        this.active.delete(next.id)
        this.pump()
      })
  }

  private update(id: string, change: (item: UploadItem) => UploadItem) {
    this.items = this.items.map((i) => (i.id === id ? change(i) : i))
    this.emit()
  }

  private emit() {
    for (const l of this.listeners) l()
  }
}

export const uploadQueue = new UploadQueue()

const NONE: UploadItem[] = []

export function useUploadQueue(): UploadItem[] {
  return useSyncExternalStore(uploadQueue.subscribe, uploadQueue.snapshot, () => NONE)
}

export const isBusy = (i: UploadItem) => i.phase === 'queued' || i.phase === 'uploading' || i.phase === 'paused' || i.phase === 'importing'
