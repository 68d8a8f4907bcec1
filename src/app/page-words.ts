// The trainer's messages are written for the command line and name its options (--label-column,
// --batch); the page sets the same things with fields, so what it shows names the field instead.
// The CLI keeps its wording: the page translates at the point where it shows a message.

/** CLI option -> the label of the page's field that sets it. */
export type FieldLabels = Readonly<Record<string, string>>;

/** `message` with each option that has a field in `labels` replaced by the field's label in
 * quotes ("Name the label column with --label-column" -> "... with "CSV label column""). */
export function inPageWords(message: string, labels: FieldLabels): string {
  return message.replace(/--[a-z][a-z0-9-]*/g, (option) => (Object.hasOwn(labels, option) ? `"${labels[option]}"` : option));
}
