// Dawn in Node. Kept apart from context.ts so browser bundles never see the native addon.
import { existsSync } from 'node:fs';
import { GpuUnavailableError } from './errors.ts';

const swiftShaderIcd = '/usr/lib/chromium/vk_swiftshader_icd.json';

// Dawn tears an instance down when its GPU object is garbage-collected, taking that instance's
// devices with it (a crash, not an error); so every context's instance is held here until the
// context is destroyed. One slot would not do: a second context (a test's own run beside the
// suite's, a sweep beside the dashboard) would orphan the first one's instance.
const held = new Set<GPU>();

/** An adapter from Dawn: the system's Vulkan driver first; when it offers none (a machine
 * without a GPU, where Mesa's lavapipe does not work with Dawn), the SwiftShader that Debian's
 * chromium ships, so Node and Chrome run the same software adapter. A user's VK_ICD_FILENAMES
 * is always respected. */
export async function requestNodeAdapter(options: GPURequestAdapterOptions, help: string): Promise<{ adapter: GPUAdapter | null; release: () => void }> {
  let webgpu: typeof import('webgpu');
  try {
    webgpu = await import('webgpu');
  } catch (err) {
    throw new GpuUnavailableError(`Could not load Dawn (npm webgpu): ${(err as Error).message}. ${help}`);
  }
  Object.assign(globalThis, webgpu.globals);
  let gpu = webgpu.create([]);
  let adapter = await gpu.requestAdapter(options);
  if (!adapter && !process.env.VK_ICD_FILENAMES && existsSync(swiftShaderIcd)) {
    process.env.VK_ICD_FILENAMES = swiftShaderIcd;
    gpu = webgpu.create([]);
    adapter = await gpu.requestAdapter(options);
  }
  held.add(gpu);
  return { adapter, release: () => void held.delete(gpu) };
}

/** Gives Node a `navigator.gpu` (Node 20 has no navigator) for libraries that look for WebGPU
 * there, such as TensorFlow.js's WebGPU backend when it is imported. Called after
 * requestNodeAdapter, the new Dawn instance sees the same Vulkan driver (VK_ICD_FILENAMES). */
export async function exposeNavigatorGpu(): Promise<void> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return;
  // Held by the navigator for the life of the process.
  const gpu = (await import('webgpu')).create([]);
  if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
}
