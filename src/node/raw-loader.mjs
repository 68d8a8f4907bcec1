// Lets Node import WGSL as text the way Vite does (`import src from './x.wgsl?raw'`), so the
// CLIs and the browser share src/gpu/shaders.ts unchanged. Registered by `--import`.
import { register } from 'node:module';

register('./raw-hooks.mjs', import.meta.url);
