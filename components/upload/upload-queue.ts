'use client'
// The browser's upload queue: archives go to the server one after another (parallel uploads would
// only split the same link and the same server disk). It lives outside React so an upload keeps
// running, and its progress stays visible, while the user looks at other console pages.
import { useSyncExternalStore } from 'react'
import { ApiFailure, type UploadResult } from '../api-client'
import { api } from '../routes'
import { RateMeter } from './rate-meter'
import { sendArchive, type SendHandle } from './send-archive'

export type ImageNameInput = { repository: string; tag: string }

export type UploadPhase = 'queued' | 'uploading' | 'importing' | 'done' | 'failed'

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
}

type Listener = () => void

class UploadQueue {
  private items: UploadItem[] = []
  private listeners = new Set<Listener>()
  private active: { id: string; handle: SendHandle } | null = null
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
    if (this.active?.id === id) return this.active.handle.abort() // settles through the failure path
    const item = this.items.find((i) => i.id === id)
    if (item?.phase === 'queued') this.items = this.items.filter((i) => i.id !== id)
    this.emit()
  }

  dismiss(id: string) {
    this.items = this.items.filter((i) => i.id !== id || i.phase === 'uploading' || i.phase === 'importing')
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
    }
  }

  private pump() {
    if (this.active) return
    const next = this.items.find((i) => i.phase === 'queued')
    if (!next) return
    const meter = new RateMeter()
    const startedAt = Date.now()
    meter.add(startedAt, 0)
    const url = api.uploads({ filename: next.file.name, repository: next.name?.repository, tag: next.name?.tag, organization: next.organization })
    const handle = sendArchive(url, next.file, (p) => {
      const now = Date.now()
      meter.add(now, p.sent)
      this.update(next.id, (i) => ({
        ...i,
        sent: p.sent,
        total: p.total,
        rate: meter.rate() ?? i.rate,
        phase: p.bodySent ? 'importing' : i.phase,
        bodySentAt: p.bodySent ? (i.bodySentAt ?? now) : i.bodySentAt,
      }))
    })
    this.active = { id: next.id, handle }
    this.update(next.id, (i) => ({ ...i, phase: 'uploading', startedAt }))
    handle.done
      .then((result) => this.update(next.id, (i) => ({ ...i, phase: 'done', sent: i.total, result, finishedAt: Date.now() })))
      .catch((e) =>
        this.update(next.id, (i) => ({
          ...i,
          phase: 'failed',
          failure: e instanceof ApiFailure ? e : new ApiFailure(0, 'UNEXPECTED', String(e)),
          finishedAt: Date.now(),
        })),
      )
      .finally(() => {
        this.active = null
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

export const isBusy = (i: UploadItem) => i.phase === 'queued' || i.phase === 'uploading' || i.phase === 'importing'
