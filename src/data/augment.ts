// Data augmentation by random shifts: each training image of each step moves by (dx, dy) whole
// pixels, |dx|, |dy| <= shift, with zeros shifted in. The shifts are integer hashes of a
// per-epoch salt and the sample's position in the epoch, so the GPU gather kernel
// (shaders/gather.wgsl) and the CPU reference draw the same shift for the same sample without any
// per-step transfer, and a run is reproducible from its seed.
import { deriveRng } from './prng.ts';

/** Stream ids 2000 + epoch: apart from shuffling (1000 + epoch) and weight init. */
const AUGMENT_STREAM = 2000;

/** The epoch's salt, a u32 drawn from the run's seed. */
export function augmentSalt(seed: number, epoch: number): number {
  return deriveRng(seed, AUGMENT_STREAM + epoch).int(0x100000000) >>> 0;
}

/** lowbias32 (Chris Wellons): a full-avalanche u32 hash; WGSL's u32 arithmetic wraps the same way. */
export function hashU32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The shift of the sample at `position` (step * batch size + row) of an epoch with `salt`. */
export function shiftAt(salt: number, position: number, shift: number): { dx: number; dy: number } {
  const span = 2 * shift + 1;
  const h = hashU32((salt ^ hashU32(position)) >>> 0);
  return { dx: (h % span) - shift, dy: (Math.floor(h / span) % span) - shift };
}
