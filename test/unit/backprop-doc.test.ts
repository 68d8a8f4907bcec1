import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BACKPROP_DOC, backpropDoc } from '../../src/docs/backprop-doc.ts';

describe('docs/backprop.md', () => {
  it('is exactly what `npm run docs:backprop` generates from the CPU reference today', () => {
    expect(readFileSync(BACKPROP_DOC, 'utf8')).toBe(backpropDoc());
  });

  it('walks the first row with the numbers a hand calculation gives', () => {
    // z of hidden neuron 0: 0.763774618976614 + 0.13436424411240122 * 2.7810836 + 0.8474337369372327 * 2.550537003
    expect(backpropDoc()).toContain('| hidden 0 | [0.134364, 0.847434, 0.763775] | 3.29886 |');
  });
});
