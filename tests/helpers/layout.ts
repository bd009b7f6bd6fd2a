// Layout checks the browser tests share.
import type { Page } from 'playwright-core'

/** Elements sticking out to the right of the viewport, unless a scroll box of theirs clips them. */
export const overflowingElements = (page: Page) =>
  page.evaluate(() => {
    const out: string[] = []
    const vw = window.innerWidth
    for (const el of Array.from(document.querySelectorAll('body *'))) {
      const r = el.getBoundingClientRect()
      if (r.width === 0 || r.right <= vw + 0.5) continue
      let clipped = false
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
        const s = getComputedStyle(a)
        if (s.overflowX !== 'visible' && a.getBoundingClientRect().right <= vw + 0.5) clipped = true
      }
      if (!clipped) out.push(`${el.tagName.toLowerCase()}.${String(el.getAttribute('class') ?? '').slice(0, 60)} right=${Math.round(r.right)}`)
    }
    return out
  })
