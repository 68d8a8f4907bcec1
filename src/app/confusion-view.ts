// The confusion matrix as a table: rows are true digits, columns predictions. Cell shade is the
// share of its row, green on the diagonal (right) and red elsewhere (which digit it was taken for).
import { element, formatCount } from './dom.ts';

export function renderConfusion(table: HTMLTableElement, counts: number[], classes = 10): void {
  table.replaceChildren();
  const head = element('tr');
  head.append(element('th', 'true \\ predicted', 'corner'));
  for (let c = 0; c < classes; c++) head.append(element('th', String(c)));
  table.createTHead().append(head);
  const body = table.createTBody();
  for (let r = 0; r < classes; r++) {
    const row = element('tr');
    row.append(element('th', String(r)));
    const total = counts.slice(r * classes, (r + 1) * classes).reduce((a, b) => a + b, 0);
    for (let c = 0; c < classes; c++) {
      const n = counts[r * classes + c];
      const cell = element('td', n ? formatCount(n) : '');
      const share = total ? n / total : 0;
      const hue = r === c ? '39, 174, 96' : '192, 57, 43';
      // Off-diagonal shares are small: scale them up so a 5% confusion is clearly visible.
      const alpha = r === c ? share : Math.min(1, share * 4);
      cell.style.background = `rgba(${hue}, ${alpha.toFixed(3)})`;
      if (alpha > 0.6) cell.classList.add('strong');
      cell.title = `${formatCount(n)} of ${formatCount(total)} true ${r}s predicted as ${c}`;
      row.append(cell);
    }
    body.append(row);
  }
}
