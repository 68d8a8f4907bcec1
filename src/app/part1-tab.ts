// The Part 1 tab's wiring: the settings form (checked through toy-form.ts as the CLI checks them)
// and the lesson it starts.
import { byId } from './dom.ts';
import { checkToyForm, defaultWeightsText, NOTEBOOK_FORM, type ToyField, type ToyFormValues } from './toy-form.ts';
import { GpuToyClient, ToyLesson, type ToyDevice } from './toy-lesson.ts';

const FIELDS: ToyField[] = ['lr', 'epochs', 'hidden', 'data', 'weights'];

export function initPart1(client: GpuToyClient): ToyLesson {
  const form = byId('toy-form', HTMLFormElement);
  const device = byId('toy-device', HTMLSelectElement);
  const apply = byId('toy-apply', HTMLButtonElement);
  const source = byId('toy-weights-source');
  const field = (name: ToyField) => form.elements.namedItem(name) as HTMLInputElement | HTMLTextAreaElement;
  const lesson = new ToyLesson({
    network: byId('toy-network'),
    position: byId('toy-position'),
    steps: byId('toy-steps'),
    output: byId('toy-output'),
    chart: byId('toy-chart'),
    diff: byId('toy-diff'),
    deviceNote: byId('toy-device-note'),
    error: byId('toy-error'),
    buttons: {
      step: byId('toy-step', HTMLButtonElement),
      sample: byId('toy-sample', HTMLButtonElement),
      epoch: byId('toy-epoch', HTMLButtonElement),
      run: byId('toy-run', HTMLButtonElement),
    },
  }, client);

  /** Typed by a person: then the weights fix the hidden width, as --init does. */
  let weightsEdited = false;
  const values = (): ToyFormValues => Object.fromEntries(FIELDS.map((n) => [n, field(n).value])) as unknown as ToyFormValues;

  const check = () => {
    if (!weightsEdited) {
      const drawn = defaultWeightsText(values());
      if (drawn !== null) field('weights').value = drawn;
    }
    const result = checkToyForm(values(), weightsEdited);
    for (const name of FIELDS) {
      const message = result.errors.get(name);
      field(name).setAttribute('aria-invalid', String(Boolean(message)));
      form.querySelector(`[data-error-for="${name}"]`)!.textContent = message ?? '';
    }
    const v = values();
    source.textContent = weightsEdited ? '(edited)' : v.weights === NOTEBOOK_FORM.weights ? "(the notebook's, printed by its seed(1))" : '(drawn with seed 1, as npm run toy draws them)';
    apply.disabled = !result.run;
    byId('toy-command').textContent = result.run?.command ?? '(fix the fields marked above)';
    return result;
  };

  const write = (v: ToyFormValues) => {
    for (const name of FIELDS) field(name).value = v[name];
    weightsEdited = false;
  };

  form.addEventListener('input', (ev) => {
    if ((ev.target as HTMLElement).getAttribute('name') === 'weights') weightsEdited = true;
    check();
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const { run } = check();
    if (run) void lesson.start(run);
  });
  byId('toy-redraw', HTMLButtonElement).addEventListener('click', () => {
    weightsEdited = false;
    check();
  });
  byId('toy-notebook', HTMLButtonElement).addEventListener('click', () => {
    write(NOTEBOOK_FORM);
    const { run } = check();
    if (run) void lesson.start(run);
  });
  device.addEventListener('change', () => lesson.show(device.value as ToyDevice));

  write(NOTEBOOK_FORM);
  const { run } = check();
  if (run) void lesson.start(run);
  return lesson;
}
