// The confusion matrix as a table: rows are true classes, columns predictions. Cell shade is the
// share of its row, green on the diagonal (right) and red elsewhere (which class it was taken for).
import { element, formatCount } from './dom.ts';

/** counts is row-major classes x classes; `names` label the classes (default: their indices). */
export function renderConfusion(table: HTMLTableElement, counts: number[], classes: number, names: string[] | null = null): void {
  const name = (c: number) => names?.[c] ?? String(c);
  table.replaceChildren();
  // The axes' names over the columns and in the corner, short: ten columns of four digits and the
  // row names fit a half-width card at 1280 px and a 390 px phone.
  const axis = element('tr');
  const corner = element('th', 'true ↓', 'corner');
  corner.rowSpan = 2;
  const predicted = element('th', 'predicted →', 'axis');
  predicted.colSpan = classes;
  axis.append(corner, predicted);
  const head = element('tr');
  for (let c = 0; c < classes; c++) head.append(element('th', name(c)));
  table.createTHead().append(axis, head);
  const body = table.createTBody();
  for (let r = 0; r < classes; r++) {
    const row = element('tr');
    row.append(element('th', name(r)));
    const total = counts.slice(r * classes, (r + 1) * classes).reduce((a, b) => a + b, 0);
    for (let c = 0; c < classes; c++) {
      const n = counts[r * classes + c];
      // Digits without separators keep the columns narrow; the title has the grouped count.
      const cell = element('td', n ? String(n) : '');
      const share = total ? n / total : 0;
      const hue = r === c ? '39, 174, 96' : '192, 57, 43';
      // Off-diagonal shares are small: scale them up so a 5% confusion is clearly visible.
      const alpha = r === c ? share : Math.min(1, share * 4);
      cell.style.background = `rgba(${hue}, ${alpha.toFixed(3)})`;
      if (alpha > 0.6) cell.classList.add('strong');
      cell.title = `${formatCount(n)} of ${formatCount(total)} true ${name(r)} predicted as ${name(c)}`;
      row.append(cell);
    }
    body.append(row);
  }
}
