// The page's three tabs (train on MNIST, part 1, homework), chosen by the URL's hash so each has a
// link of its own (index.html#part1) and the browser's back button moves between them.
export const TABS = ['train', 'part1', 'homework'] as const;
export type Tab = (typeof TABS)[number];

export function initTabs(): void {
  const show = () => {
    const wanted = location.hash.slice(1);
    const tab: Tab = (TABS as readonly string[]).includes(wanted) ? (wanted as Tab) : 'train';
    for (const t of TABS) {
      document.getElementById(`tab-${t}`)!.hidden = t !== tab;
      const link = document.getElementById(`tab-link-${t}`)!;
      if (t === tab) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
  };
  window.addEventListener('hashchange', show);
  // A link into another tab's panel (data-focus): show that tab, then scroll the panel into view.
  document.addEventListener('click', (ev) => {
    const link = (ev.target as HTMLElement).closest<HTMLAnchorElement>('a[data-focus]');
    if (!link) return;
    ev.preventDefault();
    history.pushState(null, '', new URL(link.href).hash);
    show();
    document.getElementById(link.dataset.focus!)?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  });
  show();
}
