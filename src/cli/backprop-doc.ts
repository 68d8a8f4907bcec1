// `npm run docs:backprop`: regenerates docs/backprop.md (rendered by src/docs/backprop-doc.ts).
import { writeFile } from 'node:fs/promises';
import { BACKPROP_DOC, backpropDoc } from '../docs/backprop-doc.ts';
import { isMain } from './common.ts';

if (await isMain(import.meta.url)) {
  await writeFile(BACKPROP_DOC, backpropDoc());
  console.log(`wrote ${BACKPROP_DOC}`);
}
