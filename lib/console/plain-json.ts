// Server components hand read models to client components as the API would send them (Dates as ISO
// strings, BigInts as numbers), so both get the same shapes whether the data came inline or by fetch.
import { toJson } from '../http/respond'

export function asPlainJson<T>(value: T): any {
  return JSON.parse(toJson(value))
}
