// Weights in and out of the page as .safetensors, PyTorch's names and layout (the CLI's --save and
// --init format). A file is checked completely before it replaces anything.
import type { Mlp } from '../reference/mlp.ts';
import { decodeSafetensors, encodeSafetensors, SafetensorsError, safetensorsSizes } from '../train/safetensors.ts';

export function modelFileName(mlp: Mlp): string {
  return `mnist-mlp-${mlp.sizes.join('-')}.safetensors`;
}

export function downloadModel(mlp: Mlp, metadata: Record<string, string>): void {
  const blob = new Blob([encodeSafetensors(mlp, metadata) as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = modelFileName(mlp);
  a.click();
  // The click has started the download; the URL can go once this task ends.
  setTimeout(() => URL.revokeObjectURL(a.href), 0);
}

/** An MNIST MLP of any hidden sizes from a file; throws SafetensorsError naming the problem. */
export async function readModelFile(file: File): Promise<Mlp> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const sizes = safetensorsSizes(bytes, file.name);
  if (sizes[0] !== 784 || sizes[sizes.length - 1] !== 10) {
    throw new SafetensorsError(`${file.name}: the network is ${sizes.join('-')}; an MNIST model takes 784 inputs and gives 10 classes`);
  }
  return decodeSafetensors(bytes, sizes, file.name);
}
