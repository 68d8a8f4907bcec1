// Successive halving: every configuration trains a few epochs, the best 1/eta go on to eta times
// as many, and so on until the survivors finish their whole schedule. A sweep of n
// configurations then costs about log_eta(n) + 1 full runs' worth of epochs per survivor level
// instead of n full runs, which is what makes a sweep fit on a slow (CPU fallback) adapter.

/** Number of rungs before the last (full-length) one, for `groups` competing configurations. */
export function extraRungs(groups: number, eta: number): number {
  return groups <= 1 ? 0 : Math.max(0, Math.floor(Math.log(groups) / Math.log(eta) + 1e-9));
}

/** Epochs a configuration of `epochs` epochs has trained by the end of rung `rung` (0-based) out
 * of `extra` + 1 rungs: epochs / eta^(extra - rung), at least minEpochs, the last rung all. */
export function rungBudget(epochs: number, rung: number, extra: number, eta: number, minEpochs: number): number {
  return Math.min(epochs, Math.max(minEpochs, Math.round(epochs / eta ** (extra - rung))));
}

/** How many of `count` configurations go on to the next rung. */
export function survivorCount(count: number, eta: number): number {
  return Math.max(1, Math.ceil(count / eta));
}

/** The best `keep` of the scored groups, highest score first; ties go to the earlier group so a
 * rerun of the same sweep makes the same choice. */
export function rankGroups(scores: { group: string; score: number }[]): { group: string; score: number }[] {
  return scores
    .map((s, i) => ({ ...s, i }))
    .sort((a, b) => (b.score === a.score ? a.i - b.i : (Number.isNaN(b.score) ? -Infinity : b.score) - (Number.isNaN(a.score) ? -Infinity : a.score)))
    .map(({ group, score }) => ({ group, score }));
}
