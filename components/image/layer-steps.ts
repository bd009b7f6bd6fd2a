// The config's build history split per layer (pure: unit-tested).

type Step = { emptyLayer: boolean }

/** Each layer gets its own step and the empty (metadata-only) steps before it; null when the history does not match the layers. */
export function stepsPerLayer<S extends Step>(history: S[], layerCount: number): { perLayer: S[][]; trailing: S[] } | null {
  const perLayer: S[][] = []
  let pending: S[] = []
  for (const h of history) {
    pending.push(h)
    if (!h.emptyLayer) {
      perLayer.push(pending)
      pending = []
    }
  }
  // a history that does not match the layers (hand-made images) is not attributed to them
  return perLayer.length === layerCount ? { perLayer, trailing: pending } : null
}
