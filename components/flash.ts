'use client'
// Short confirmations ("Deleted tag x") that survive the client-side navigation that follows the
// action: a tiny store outside React, shown by <FlashMessages/> in the layout.
import { useSyncExternalStore } from 'react'

export type Flash = { id: number; text: string; tone: 'success' | 'info' }

let messages: Flash[] = []
let nextId = 1
const listeners = new Set<() => void>()
const emit = () => listeners.forEach((l) => l())

export function flash(text: string, tone: Flash['tone'] = 'success') {
  messages = [...messages, { id: nextId++, text, tone }].slice(-3)
  emit()
}

export function dismissFlash(id: number) {
  messages = messages.filter((m) => m.id !== id)
  emit()
}

const subscribe = (l: () => void) => {
  listeners.add(l)
  return () => listeners.delete(l)
}
const none: Flash[] = []

export function useFlashes(): Flash[] {
  return useSyncExternalStore(subscribe, () => messages, () => none)
}
