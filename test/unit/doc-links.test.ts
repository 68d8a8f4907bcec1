// The README and the pages in docs/ are read in a clone, which holds only the repository: every
// relative link must name a file inside it (the notebook itself lives outside, so its
// description, docs/notebook.md, is what they link to).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const pages = ['README.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];

describe('links in the README and docs/', () => {
  it.each(pages)('%s links only to files in the repository', (page) => {
    const text = readFileSync(page, 'utf8');
    const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((t) => !/^[a-z]+:/.test(t) && !t.startsWith('#'));
    for (const target of targets) {
      const file = resolve(dirname(page), target.replace(/#.*$/, ''));
      expect(relative(process.cwd(), file).startsWith('..'), `${page} links outside the repository: ${target}`).toBe(false);
      expect(existsSync(file), `${page} links to a missing file: ${target}`).toBe(true);
    }
    expect(text, `${page} points at the notebook outside the repository`).not.toMatch(/\.\.\/shared\//);
  });

  it('the README links to the notebook page', () => {
    expect(readFileSync('README.md', 'utf8')).toContain('](docs/notebook.md)');
  });
});
