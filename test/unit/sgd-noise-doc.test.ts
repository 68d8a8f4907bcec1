import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NOISE_DOC, NOISE_SVG, renderNoiseDoc, renderNoiseSvg, reportFromDoc } from '../../src/docs/noise-doc.ts';

// The page ends with the report of the run that produced it; everything else on it is rendered
// from that report, so re-rendering must give the page back byte for byte.
describe('docs/sgd-noise.md', () => {
  const doc = readFileSync(NOISE_DOC, 'utf8');
  const report = reportFromDoc(doc);

  it('is exactly what `npm run noise -- --doc` renders from the report embedded in it', () => {
    expect(doc).toBe(renderNoiseDoc(report));
  });

  it('was written by `npm run noise -- ... --doc`, on the notebook network, with batch 32 and full-batch descent', () => {
    expect(report.command).toMatch(/^npm run noise -- .*--doc/);
    expect(doc).toContain(`\`\`\`sh\n${report.command}\n\`\`\``);
    expect(report.sizes).toEqual([784, 512, 256, 10]);
    expect(report.gradientNoise.map((g) => g.batch)).toContain(32);
    expect(report.training.map((t) => t.label)).toContain('full');
  });

  it('comes with its plot, rendered from the same report', async () => {
    expect(readFileSync(NOISE_SVG, 'utf8')).toBe(await renderNoiseSvg(report));
  });
});
