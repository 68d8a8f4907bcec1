// Wide tables scroll sideways inside their card (the confusion matrix of many classes, the epochs
// and sweep tables on a phone), and a phone shows a scrollbar only while it is being scrolled: a
// table cut at the card's edge looks whole. Each scroll box says which of its sides hide columns
// (data-more="left right", which style.css fades) and shows a hint under it while any does.
import { element } from './dom.ts';

/** Watches every `.scroll` box under `root`; the hint follows each box as a sibling. */
export function addScrollCues(root: ParentNode = document): void {
  for (const box of root.querySelectorAll<HTMLElement>('.scroll')) watch(box);
}

function watch(box: HTMLElement): void {
  const hint = element('p', '', 'scroll-hint');
  hint.setAttribute('aria-hidden', 'true');
  box.after(hint);
  const update = () => {
    const hidden = box.scrollWidth - box.clientWidth;
    // A pixel of slack: zoomed pages give fractional widths.
    const more = [box.scrollLeft > 1 && 'left', box.scrollLeft < hidden - 1 && 'right'].filter(Boolean).join(' ');
    if (more) box.dataset.more = more;
    else delete box.dataset.more;
    hint.hidden = !more;
    hint.textContent = more.includes('right') ? 'more columns: scroll →' : '← scroll back';
  };
  box.addEventListener('scroll', update, { passive: true });
  // The box follows the window; its table grows as rows and columns arrive.
  const resized = new ResizeObserver(update);
  resized.observe(box);
  for (const child of box.children) resized.observe(child);
}
