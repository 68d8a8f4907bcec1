// Dawn in Node. Kept apart from context.ts so browser bundles never see the native addon.
import { existsSync } from 'node:fs';
import { GpuUnavailableError } from './context.ts';

const swiftShaderIcd = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** An adapter from Dawn: the system's Vulkan driver first; when it offers none (a machine
 * without a GPU, where Mesa's lavapipe does not work with Dawn), the SwiftShader that Debian's
 * chromium ships, so Node and Chrome run the same software adapter. A user's VK_ICD_FILENAMES
 * is always respected. */
// Dawn tears its instance down when the GPU object is garbage-collected, taking live devices
// with it (a crash, not an error); so the instance is held until the context is destroyed.
let instance: GPU | null = null;

export function releaseNodeGpu(): void {
  instance = null;
}

export async function requestNodeAdapter(options: GPURequestAdapterOptions, help: string): Promise<GPUAdapter | null> {
  let webgpu: typeof import('webgpu');
  try {
    webgpu = await import('webgpu');
  } catch (err) {
    throw new GpuUnavailableError(`Could not load Dawn (npm webgpu): ${(err as Error).message}. ${help}`);
  }
  Object.assign(globalThis, webgpu.globals);
  instance = webgpu.create([]);
  const adapter = await instance.requestAdapter(options);
  if (adapter || process.env.VK_ICD_FILENAMES || !existsSync(swiftShaderIcd)) return adapter;
  process.env.VK_ICD_FILENAMES = swiftShaderIcd;
  instance = webgpu.create([]);
  return instance.requestAdapter(options);
}
