// CPU twins of shaders/conv2d.wgsl and shaders/maxpool2d.wgsl, in PyTorch's NCHW layout with
// weights (outC, inC, k, k). Written independently of the WGSL and deliberately naive: one walk
// over every tap of the convolution (forEachTap), float64 accumulation, float32 storage. The
// input gradient scatters each output's gradient back over its window (the GPU gathers), so the
// two do not share an index map.
import { ACTIVATION_TABLE, type Activation } from '../model/activations.ts';
import { checkLength } from './kernels.ts';

/** A square-kernel convolution over a batch of NCHW images. */
export interface Conv2dShape {
  batch: number;
  inC: number;
  outC: number;
  /** Image height and width. */
  H: number;
  W: number;
  /** Kernel side. */
  k: number;
  stride: number;
  /** Zeros on every side. */
  pad: number;
}

/** Output height and width, floored as PyTorch's: (H + 2 pad - k) / stride + 1. */
export function conv2dOutSize({ H, W, k, stride, pad }: Conv2dShape): { OH: number; OW: number } {
  return { OH: Math.floor((H + 2 * pad - k) / stride) + 1, OW: Math.floor((W + 2 * pad - k) / stride) + 1 };
}

/** Throws a clear error for a shape no convolution has; returns the output size. */
export function checkConv2dShape(shape: Conv2dShape): { OH: number; OW: number } {
  for (const name of ['batch', 'inC', 'outC', 'H', 'W', 'k', 'stride'] as const) {
    const v = shape[name];
    if (!(Number.isInteger(v) && v > 0)) throw new RangeError(`conv2d: ${name} must be a positive integer, got ${v}`);
  }
  if (!(Number.isInteger(shape.pad) && shape.pad >= 0)) throw new RangeError(`conv2d: pad must be a non-negative integer, got ${shape.pad}`);
  const out = conv2dOutSize(shape);
  if (out.OH < 1 || out.OW < 1) {
    throw new RangeError(`conv2d: a ${shape.k}x${shape.k} kernel does not fit a ${shape.H}x${shape.W} image with padding ${shape.pad}: use a smaller kernel or more padding`);
  }
  return out;
}

/** Every (output, input, weight) index triple of the convolution, as flat NCHW / (outC, inC, k, k)
 * offsets, in one order (n, co, oh, ow outside; ci, kh, kw inside): padding taps are skipped. The
 * three twins below are sums over these taps. */
function forEachTap(shape: Conv2dShape, visit: (yi: number, xi: number, wi: number) => void): void {
  const { batch, inC, outC, H, W, k, stride, pad } = shape;
  const { OH, OW } = conv2dOutSize(shape);
  for (let n = 0; n < batch; n++) {
    for (let co = 0; co < outC; co++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const yi = ((n * outC + co) * OH + oh) * OW + ow;
          for (let ci = 0; ci < inC; ci++) {
            for (let kh = 0; kh < k; kh++) {
              for (let kw = 0; kw < k; kw++) {
                const ih = oh * stride + kh - pad;
                const iw = ow * stride + kw - pad;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                visit(yi, ((n * inC + ci) * H + ih) * W + iw, ((co * inC + ci) * k + kh) * k + kw);
              }
            }
          }
        }
      }
    }
  }
}

/** y = act(conv(x, w) + b). x is (batch, inC, H, W), w (outC, inC, k, k), b (outC) or null,
 * y (batch, outC, OH, OW). */
export function conv2dCpu(x: Float32Array, w: Float32Array, b: Float32Array | null, shape: Conv2dShape, activation: Activation = 'none'): Float32Array {
  const { batch, inC, outC, H, W, k } = shape;
  const { OH, OW } = checkConv2dShape(shape);
  checkLength('conv2d x', x, batch * inC * H * W);
  checkLength('conv2d w', w, outC * inC * k * k);
  if (b) checkLength('conv2d b', b, outC);
  const { forward } = ACTIVATION_TABLE[activation];
  const plane = OH * OW;
  const acc = Float64Array.from({ length: batch * outC * plane }, (_, yi) => (b ? b[Math.floor(yi / plane) % outC] : 0));
  forEachTap(shape, (yi, xi, wi) => (acc[yi] += x[xi] * w[wi]));
  return Float32Array.from(acc, forward);
}

/** dx = d(sum y * dy)/dx of y = conv(x, w): dy is (batch, outC, OH, OW), w (outC, inC, k, k),
 * dx (batch, inC, H, W). Padding positions take no gradient. */
export function conv2dInputGradCpu(dy: Float32Array, w: Float32Array, shape: Conv2dShape): Float32Array {
  const { batch, inC, outC, H, W, k } = shape;
  const { OH, OW } = checkConv2dShape(shape);
  checkLength('conv2dInputGrad dy', dy, batch * outC * OH * OW);
  checkLength('conv2dInputGrad w', w, outC * inC * k * k);
  const acc = new Float64Array(batch * inC * H * W);
  forEachTap(shape, (yi, xi, wi) => (acc[xi] += dy[yi] * w[wi]));
  return Float32Array.from(acc);
}

/** The parameters' gradients of y = conv(x, w) + b: dW (outC, inC, k, k) sums x times dy over
 * the batch and the output positions, db (outC) sums dy. x is (batch, inC, H, W), dy (batch,
 * outC, OH, OW). */
export function conv2dWeightGradCpu(x: Float32Array, dy: Float32Array, shape: Conv2dShape): { dW: Float32Array; db: Float32Array } {
  const { batch, inC, outC, H, W, k } = shape;
  const { OH, OW } = checkConv2dShape(shape);
  checkLength('conv2dWeightGrad x', x, batch * inC * H * W);
  checkLength('conv2dWeightGrad dy', dy, batch * outC * OH * OW);
  const dW = new Float64Array(outC * inC * k * k);
  forEachTap(shape, (yi, xi, wi) => (dW[wi] += dy[yi] * x[xi]));
  const db = new Float64Array(outC);
  dy.forEach((g, yi) => (db[Math.floor(yi / (OH * OW)) % outC] += g));
  return { dW: Float32Array.from(dW), db: Float32Array.from(db) };
}

/** Max pooling with stride = kernel side k over (batch, C, H, W): non-overlapping k x k windows,
 * the output (batch, C, floor(H / k), floor(W / k)) as PyTorch's (rows and columns past the
 * last whole window are dropped). */
export interface Maxpool2dShape {
  batch: number;
  C: number;
  H: number;
  W: number;
  k: number;
}

/** Throws a clear error for a shape no pooling has; returns the output size. */
export function checkMaxpool2dShape(shape: Maxpool2dShape): { OH: number; OW: number } {
  for (const name of ['batch', 'C', 'H', 'W', 'k'] as const) {
    const v = shape[name];
    if (!(Number.isInteger(v) && v > 0)) throw new RangeError(`maxpool2d: ${name} must be a positive integer, got ${v}`);
  }
  const { H, W, k } = shape;
  if (k > H || k > W) throw new RangeError(`maxpool2d: a ${k}x${k} window does not fit a ${H}x${W} image: use a smaller window`);
  return { OH: Math.floor(H / k), OW: Math.floor(W / k) };
}

/** The flat index into x of the maximum of output (plane, oh, ow)'s window: the first one in
 * row-major order on ties, as PyTorch's (ReLU outputs tie at 0 often). */
function windowArgmax(x: Float32Array, shape: Maxpool2dShape, plane: number, oh: number, ow: number): number {
  const { H, W, k } = shape;
  let best = -1;
  for (let kh = 0; kh < k; kh++) {
    for (let kw = 0; kw < k; kw++) {
      const i = (plane * H + oh * k + kh) * W + ow * k + kw;
      if (best < 0 || x[i] > x[best]) best = i;
    }
  }
  return best;
}

/** y = the maximum of each window: x is (batch, C, H, W), y (batch, C, OH, OW). */
export function maxpool2dCpu(x: Float32Array, shape: Maxpool2dShape): Float32Array {
  const { OH, OW } = checkMaxpool2dShape(shape);
  const planes = shape.batch * shape.C;
  checkLength('maxpool2d x', x, planes * shape.H * shape.W);
  const y = new Float32Array(planes * OH * OW);
  for (let p = 0; p < planes; p++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) y[(p * OH + oh) * OW + ow] = x[windowArgmax(x, shape, p, oh, ow)];
    }
  }
  return y;
}

/** dx: each window's dy at its maximum, zeros elsewhere (and where no window reaches). x is the
 * forward pass's input (batch, C, H, W), dy (batch, C, OH, OW). */
export function maxpool2dBackwardCpu(x: Float32Array, dy: Float32Array, shape: Maxpool2dShape): Float32Array {
  const { OH, OW } = checkMaxpool2dShape(shape);
  const planes = shape.batch * shape.C;
  checkLength('maxpool2dBackward x', x, planes * shape.H * shape.W);
  checkLength('maxpool2dBackward dy', dy, planes * OH * OW);
  const dx = new Float32Array(x.length);
  for (let p = 0; p < planes; p++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) dx[windowArgmax(x, shape, p, oh, ow)] = dy[(p * OH + oh) * OW + ow];
    }
  }
  return dx;
}
