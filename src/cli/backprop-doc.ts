// `npm run docs:backprop`: regenerates docs/backprop.md (rendered by src/docs/backprop-doc.ts).
import { BACKPROP_DOC, backpropDoc } from '../docs/backprop-doc.ts';
import { writeFileAtomic } from '../node/files.ts';
import { isMain } from './common.ts';

if (await isMain(import.meta.url)) {
  await writeFileAtomic(BACKPROP_DOC, backpropDoc());
  console.log(`wrote ${BACKPROP_DOC}`);
}
