// The inference bundle's WGSL: minified without joining tokens, and trimmed to the entry points it
// runs and what they call (the GPU tests run the result: test/gpu/infer.test.ts in Chromium).
import { describe, expect, it } from 'vitest';
import { keepEntryPoints, minifyWgsl } from '../../src/bundle/wgsl-trim.ts';

const SHADER = `// a comment
const WG = 64u; /* block */
fn helper(x: f32) -> f32 { return x - -1.0; }
fn backwardOnly(x: f32) -> f32 { return x; }
fn hook(i: u32) -> f32 { return 0.0; }
@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>) { let a = helper(1.0); if (a > 0.0) { } }
@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>) { let b = backwardOnly(array<vec2<f32>, 2>()[0].x); }
`;

describe('minifyWgsl', () => {
  it('drops comments and blanks, but keeps those between words and between operators', () => {
    expect(minifyWgsl('let a = b - -c; // x\nreturn a >> 1u;')).toBe('let a=b- -c;return a>>1u;');
    expect(minifyWgsl('var<storage, read> x: array<f32>; /* y */ x[i] = a > = b;')).toBe('var<storage,read>x:array<f32>;x[i]=a> =b;');
  });
});

describe('keepEntryPoints', () => {
  it('keeps the named entry points, what they call and what other files call; drops the rest', () => {
    const out = keepEntryPoints(SHADER, ['forward'], 'fn library() { hook(0u); }');
    expect(out).toContain('fn forward(');
    expect(out).toContain('fn helper(');
    expect(out).toContain('fn hook(');
    expect(out).toContain('const WG=64u;');
    expect(out).not.toContain('backward');
    expect(out).not.toContain('comment');
  });

  it('names an entry point the shader lacks', () => {
    expect(() => keepEntryPoints(SHADER, ['forwards'], '')).toThrow('no entry point forwards in this shader');
  });
});
