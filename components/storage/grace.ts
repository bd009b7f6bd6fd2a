// The grace period as people say it: "24 hours", "7 days", "90 seconds", "none".
export function graceText(seconds: number): string {
  if (seconds <= 0) return 'none'
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`
  if (seconds % 86400 === 0 && seconds >= 2 * 86400) return unit(seconds / 86400, 'day')
  if (seconds % 3600 === 0) return unit(seconds / 3600, 'hour')
  if (seconds % 60 === 0) return unit(seconds / 60, 'minute')
  return unit(seconds, 'second')
}
