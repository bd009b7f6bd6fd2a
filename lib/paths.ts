import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root (lib/ lives directly under it). */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
