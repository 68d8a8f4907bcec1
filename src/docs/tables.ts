// Result tables, one shape for the terminal (aligned text) and for generated Markdown pages.

export interface Table {
  title: string;
  head: string[];
  rows: string[][];
}

export function markdownTable(t: Table): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(t.head), line(t.head.map(() => '---')), ...t.rows.map(line)].join('\n');
}

export function textTable(t: Table): string {
  const widths = t.head.map((h, c) => Math.max(h.length, ...t.rows.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((s, c) => s.padStart(widths[c])).join('  ');
  return [t.title, line(t.head), ...t.rows.map(line)].join('\n');
}
