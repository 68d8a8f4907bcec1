// The dashboard names its fields where the CLI's messages name options (src/app/page-words.ts),
// and the CLI keeps its own wording.
import { describe, expect, it } from 'vitest';
import { TRAIN_TAB_LABELS } from '../../src/app/config-form.ts';
import { inPageWords } from '../../src/app/page-words.ts';
import { csvDataFromText } from '../../src/data/csv.ts';
import { validateConfig } from '../../src/train/config.ts';
import { thrown } from '../support/thrown.ts';

describe('inPageWords', () => {
  it("names the CSV loader's --label-column by the page's field, and the CLI still says --label-column", () => {
    const cli = thrown(() => csvDataFromText({ name: 'iris.csv', text: 'a,species\n1,x\n' }, { name: 't.csv', text: 'a,species\n1,y\n' }, { labelColumn: 'label' }, 'mem')).message;
    expect(cli).toContain('Name the label column with --label-column.');
    const page = inPageWords(cli, TRAIN_TAB_LABELS);
    expect(page).toContain('Name the label column with "CSV label column".');
    expect(page).not.toMatch(/--[a-z]/);
  });

  it('takes the whole option (--lr-schedule is not --lr) and leaves options without a field alone', () => {
    const labels = { '--lr': 'Learning rate', '--lr-schedule': 'LR schedule' };
    expect(inPageWords('--lr-schedule must be one of ...; try a smaller --lr', labels)).toBe('"LR schedule" must be one of ...; try a smaller "Learning rate"');
    expect(inPageWords('or --no-divergence-stop to train on', labels)).toBe('or --no-divergence-stop to train on');
  });

  it("words every option validateConfig names by a training-form label", () => {
    const cli = thrown(() => validateConfig({ optimizer: 'adam', momentum: 0.9 })).message;
    expect(cli).toBe("--momentum is SGD's; adam has --beta1 instead: leave it out (got 0.9)");
    expect(inPageWords(cli, TRAIN_TAB_LABELS)).toBe('"Momentum" is SGD\'s; adam has "Beta 1" instead: leave it out (got 0.9)');
  });
});
