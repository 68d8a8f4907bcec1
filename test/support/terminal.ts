// What a person would see in a terminal after a command wrote these bytes: @xterm/headless
// interprets every escape sequence (cursor moves, line clears) the way a terminal does.
import xterm from '@xterm/headless';

/** The screen and scrollback as text lines, trailing blanks trimmed, empty lines dropped. */
export function renderTerminal(bytes: string, cols = 120): Promise<string[]> {
  const term = new xterm.Terminal({ cols, rows: 40, scrollback: 10_000, allowProposedApi: true });
  return new Promise((resolve) =>
    term.write(bytes, () => {
      const b = term.buffer.active;
      const lines: string[] = [];
      for (let i = 0; i < b.length; i++) lines.push(b.getLine(i)?.translateToString(true) ?? '');
      term.dispose();
      resolve(lines.filter((l) => l !== ''));
    }),
  );
}
