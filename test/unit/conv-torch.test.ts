// The convolution and pooling twins (src/reference/conv.ts) against PyTorch
// (test/torch/make_conv_fixture.py): torch computed in float64 from float32 inputs, so the twins'
// float64 sums, rounded once to float32, must agree to the rounding.
import { describe, expect, it } from 'vitest';
import raw from '../torch/conv-fixture.json?raw';
import {
  conv2dCpu, conv2dInputGradCpu, conv2dWeightGradCpu, maxpool2dBackwardCpu, maxpool2dCpu, type Conv2dShape, type Maxpool2dShape,
} from '../../src/reference/conv.ts';
import { compareArrays, describeComparison, TOLERANCES, type Tolerance } from '../../src/reference/tolerance.ts';

interface ConvCase {
  shape: Conv2dShape;
  x: number[];
  w: number[];
  b: number[];
  dy: number[];
  y: number[];
  dx: number[];
  dW: number[];
  db: number[];
}

interface PoolCase {
  shape: Maxpool2dShape;
  draw: string;
  x: number[];
  dy: number[];
  y: number[];
  dx: number[];
}

const fixture = JSON.parse(raw) as { conv: ConvCase[]; pool: PoolCase[] };

function expectAgrees(what: string, got: Float32Array, ref: ArrayLike<number>, tol: Tolerance): void {
  const c = compareArrays(got, ref, tol);
  expect(c.ok, describeComparison(what, c, tol)).toBe(true);
}

const name = ({ batch, inC, outC, H, W, k, stride, pad }: Conv2dShape) => `${batch}x${inC}x${H}x${W} -> ${outC} k${k} s${stride} p${pad}`;

describe('conv2d twins vs PyTorch (float64)', () => {
  it('has the shapes the fixture promises', () => {
    const shapes = fixture.conv.map((c) => c.shape);
    expect(new Set(shapes.map((s) => s.k))).toEqual(new Set([1, 3, 5]));
    expect(new Set(shapes.map((s) => s.pad))).toEqual(new Set([0, 1, 2]));
    expect(new Set(shapes.map((s) => s.stride))).toEqual(new Set([1, 2]));
    expect(shapes.some((s) => s.inC === 1) && shapes.some((s) => s.inC > 1)).toBe(true);
  });

  for (const c of fixture.conv) {
    it(`${name(c.shape)}: y, dx, dW, db`, () => {
      const [x, w, b, dy] = [c.x, c.w, c.b, c.dy].map((v) => Float32Array.from(v));
      const tol = TOLERANCES.roundedFloat64;
      expectAgrees('y', conv2dCpu(x, w, b, c.shape), c.y, tol);
      expectAgrees('dx', conv2dInputGradCpu(dy, w, c.shape), c.dx, tol);
      const { dW, db } = conv2dWeightGradCpu(x, dy, c.shape);
      expectAgrees('dW', dW, c.dW, tol);
      expectAgrees('db', db, c.db, tol);
    });
  }
});

describe('maxpool2d twins vs PyTorch', () => {
  for (const c of fixture.pool) {
    const { batch, C, H, W, k } = c.shape;
    // Copies of float32 values, which the fixture's 9 digits read back exactly.
    it(`${batch}x${C}x${H}x${W} k${k}, ${c.draw} inputs: y and dx exactly, first maximum on ties`, () => {
      const x = Float32Array.from(c.x);
      expectAgrees('y', maxpool2dCpu(x, c.shape), Float32Array.from(c.y), TOLERANCES.exact);
      expectAgrees('dx', maxpool2dBackwardCpu(x, Float32Array.from(c.dy), c.shape), Float32Array.from(c.dx), TOLERANCES.exact);
    });
  }

  it('the tie cases have ties', () => {
    for (const c of fixture.pool.filter((p) => p.draw !== 'normal')) expect(new Set(c.x).size).toBeLessThan(c.x.length);
  });
});

describe('shape checks', () => {
  const shape: Conv2dShape = { batch: 1, inC: 1, outC: 1, H: 4, W: 4, k: 5, stride: 1, pad: 0 };
  it('name the problem and the fix', () => {
    expect(() => conv2dCpu(new Float32Array(16), new Float32Array(25), null, shape)).toThrow(/does not fit a 4x4 image with padding 0: use a smaller kernel or more padding/);
    expect(() => conv2dCpu(new Float32Array(16), new Float32Array(1), null, { ...shape, k: 1, stride: 0 })).toThrow(/stride must be a positive integer, got 0/);
    expect(() => maxpool2dCpu(new Float32Array(4), { batch: 1, C: 1, H: 2, W: 2, k: 3 })).toThrow(/3x3 window does not fit a 2x2 image/);
    expect(() => conv2dCpu(new Float32Array(15), new Float32Array(1), null, { ...shape, k: 1 })).toThrow(/conv2d x: expected 16 elements, got 15/);
  });
});
