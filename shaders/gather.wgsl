// Batch conversion: a data set's rows and u8 labels to the f32 input rows and u32 labels of one
// batch. One invocation per four output values: invocation (j, r) writes x[r, k] for k = 4j..4j+3
// of its row's sample s; invocation (0, r) also writes y[r] = labels[s]. Three entry points:
//   gather_u8: u8 images (or other bytes) resident on the GPU for the whole run,
//     x[r, k] = images[s * rowLen + k] / 255, s = order[counter[0] * batchStride + r], the r-th
//     sample of the step the GPU-side counter points at;
//   gather_f32: f32 features (a CSV's) resident the same way, x[r, k] = features[s * rowLen + k]
//     as they are, with the same s; never shifted (they are not images);
//   convert_u8: as gather_u8 for one batch the CPU wrote in sample order (a streamed ring slot), s = r.
// The u8 sets are packed 4 bytes per u32 word, little-endian (a Uint8Array's bytes as uploaded),
// so any rowLen works: a byte is picked out of its word by address, never assumed aligned. f32
// features are uploaded as their bytes too, one value per word, read back by bitcast.
// Augmentation (gather_u8, params.shift > 0): each row's image, params.width pixels wide, moves by
// (dx, dy), |dx|, |dy| <= shift, zeros shifted in; (dx, dy) is a hash of the sample's position in
// the epoch and the epoch's salt in counter[1], the same integers src/data/augment.ts computes.
// Workgroup 64x1; grid ceil(rowLen / 256) x rows, so the row index needs no bounds check.
// Bindings: 0 params (uniform batchStride, rowLen, width, shift), 1 images (u8 packed, or f32 bits for
// gather_f32), 2 labels (u8 packed),
// 3 x (rows, rowLen) f32, 4 y (rows) u32; gather_u8 and gather_f32 only: 5 order (u32, the epoch's sample
// indices), 6 counter (the run record of src/gpu/kernels/metrics.ts: [0] the step within the
// epoch, [1] the salt). convert_u8's bindings are the first
// five, so its automatic layout is a prefix of gather_u8's and one wrapper binds both.

struct Params { batchStride: u32, rowLen: u32, width: u32, shift: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> images: array<u32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> x: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<u32>;
@group(0) @binding(5) var<storage, read> order: array<u32>;
@group(0) @binding(6) var<storage, read> counter: array<u32>;

// Invocations per workgroup and output pixels per invocation; src/gpu/kernels/gather.ts sizes
// the grid from them.
const WG = 64u;
const PIXELS = 4u;

// Byte `addr` of a packed set, given the word that holds it.
fn byteAt(word: u32, addr: u32) -> u32 {
  return extractBits(word, (addr & 3u) * 8u, 8u);
}

// lowbias32 (Chris Wellons), as hashU32 in src/data/augment.ts.
fn hash(v: u32) -> u32 {
  var h = v;
  h ^= h >> 16u;
  h *= 0x7feb352du;
  h ^= h >> 15u;
  h *= 0x846ca68bu;
  h ^= h >> 16u;
  return h;
}

// Pixels k0..k0+3 of row r from sample s, its image moved by (dx, dy) with zeros shifted in, and
// the row's label. Four pixels per invocation so that gather_u8's index loads are shared, and a
// word is loaded once for the pixels it holds: on a CPU adapter each storage load costs a gather
// of its own (bench: data section).
fn convertPixels(s: u32, r: u32, k0: u32, dx: i32, dy: i32) {
  var wordIndex = 0xffffffffu;
  var word = 0u;
  for (var k = k0; k < min(k0 + PIXELS, params.rowLen); k++) {
    let px = i32(k % params.width) - dx;
    let py = i32(k / params.width) - dy;
    var v = 0.0;
    if (px >= 0 && px < i32(params.width) && py >= 0 && u32(py) * params.width < params.rowLen) {
      let addr = s * params.rowLen + u32(py) * params.width + u32(px);
      if ((addr >> 2u) != wordIndex) {
        wordIndex = addr >> 2u;
        word = images[wordIndex];
      }
      v = f32(byteAt(word, addr)) / 255.0;
    }
    x[r * params.rowLen + k] = v;
  }
  if (k0 == 0u) { y[r] = byteAt(labels[s >> 2u], s); }
}

@compute @workgroup_size(WG)
fn gather_u8(@builtin(global_invocation_id) gid: vec3<u32>) {
  let k0 = gid.x * PIXELS;
  let r = gid.y;
  if (k0 >= params.rowLen) { return; }
  let position = counter[0] * params.batchStride + r;
  var dx = 0;
  var dy = 0;
  if (params.shift > 0u) {
    let span = 2u * params.shift + 1u;
    let h = hash(counter[1] ^ hash(position));
    dx = i32(h % span) - i32(params.shift);
    dy = i32((h / span) % span) - i32(params.shift);
  }
  convertPixels(order[position], r, k0, dx, dy);
}

@compute @workgroup_size(WG)
fn convert_u8(@builtin(global_invocation_id) gid: vec3<u32>) {
  let k0 = gid.x * PIXELS;
  let r = gid.y;
  if (k0 >= params.rowLen) { return; }
  convertPixels(r, r, k0, 0, 0);
}

@compute @workgroup_size(WG)
fn gather_f32(@builtin(global_invocation_id) gid: vec3<u32>) {
  let k0 = gid.x * PIXELS;
  let r = gid.y;
  if (k0 >= params.rowLen) { return; }
  let s = order[counter[0] * params.batchStride + r];
  for (var k = k0; k < min(k0 + PIXELS, params.rowLen); k++) {
    x[r * params.rowLen + k] = bitcast<f32>(images[s * params.rowLen + k]);
  }
  if (k0 == 0u) { y[r] = byteAt(labels[s >> 2u], s); }
}
