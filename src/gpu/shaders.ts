// Every WGSL source of the project, imported as text. Vite (app, Vitest) understands `?raw`;
// the Node CLIs get the same through src/cli/raw-loader.mjs.
import matmul from '../../shaders/matmul.wgsl?raw';

export const shaders = { matmul } as const;
