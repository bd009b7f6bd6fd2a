// Console API routes of the storage lifecycle (issue 11): filled in by its branch.
import type { ApiRoute } from './api-routes'

export const jobRoutes: ApiRoute[] = []
