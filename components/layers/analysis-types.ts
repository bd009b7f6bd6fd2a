// Answers of the image-level endpoints (contract-13.md): GET IMAGE/usage, GET IMAGE/efficiency.

export type Usage = {
  largestFiles: { path: string; size: number; layer: number; layerDigest: string | null }[]
  largestDirectories: { path: string; bytes: number; files: number }[]
  layers: { position: number; digest: string; fileBytes: number | null; compressedContentBytes: number | null; compressibleBytes: number | null }[]
  incomplete?: boolean
}

export type Efficiency = {
  efficiency: number // 0..1, as dive computes it
  wastedBytes: number
  userWastedPercent: number | null // 0..1 of the bytes above the base layer, as dive computes it; null: nothing above the base
  sizeBytes: number
  userSizeBytes: number
  inefficiencies: { path: string; count: number; wastedBytes: number; layers: number[] }[]
  inefficiencyCount: number
  incomplete?: boolean
}

/** dive's fractions as the console prints them: 0.98442 -> "98.44 %" */
export const percentOf = (fraction: number | null) => (fraction === null ? '—' : `${(fraction * 100).toFixed(2)} %`)
