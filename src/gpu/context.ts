// The only place that knows where WebGPU comes from: navigator.gpu in Chrome, Google's Dawn
// bindings (npm `webgpu`) in Node. Everything above this file sees a GpuContext, which also owns
// the live-bytes counter, the pipeline cache and the error/loss watch.

import { GpuDeviceError, GpuUnavailableError } from './errors.ts';

export type Runtime = 'browser' | 'node';

export interface AdapterSummary {
  runtime: Runtime;
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation such as SwiftShader: numbers measured on it are not GPU numbers. */
  isFallbackAdapter: boolean;
  features: string[];
  limits: Record<string, number>;
  userAgent?: string;
}


/** Limits the kernels rely on; the defaults of the WebGPU spec, checked rather than assumed. */
const REQUIRED_LIMITS = {
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxStorageBuffersPerShaderStage: 8,
  maxComputeWorkgroupStorageSize: 16384,
} as const;

const REPORTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupStorageSize',
  'maxStorageBuffersPerShaderStage',
] as const;

export interface GpuOptions {
  /** Features to enable where the adapter offers them, beside 'subgroups' (always asked for,
   * never required): the benchmark asks for 'timestamp-query'. */
  optionalFeatures?: GPUFeatureName[];
  /** Called once when the device is lost or reports an error the run cannot survive. */
  onFatal?: (err: GpuDeviceError) => void;
}

export class GpuContext {
  private liveBytesCount = 0;
  private readonly liveBuffers = new Set<GPUBuffer>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly modules = new Map<string, GPUShaderModule>();
  private fatal: GpuDeviceError | null = null;

  constructor(
    readonly device: GPUDevice,
    readonly adapter: AdapterSummary,
    onFatal?: (err: GpuDeviceError) => void,
  ) {
    const fail = (err: GpuDeviceError) => {
      if (this.fatal) return;
      this.fatal = err;
      onFatal?.(err);
    };
    void device.lost.then((info) => {
      if (info.reason !== 'destroyed') {
        fail(new GpuDeviceError(`WebGPU device lost (${info.reason}): ${info.message}. ` +
          'Reload the page or restart the run; training resumes from the last saved weights.'));
      }
    });
    device.addEventListener('uncapturederror', (ev) => {
      const e = (ev as GPUUncapturedErrorEvent).error;
      fail(new GpuDeviceError(`WebGPU ${e.constructor.name}: ${e.message}`));
    });
  }

  /** Throws the first fatal device error seen so far; call before trusting any result. */
  check(): void {
    if (this.fatal) throw this.fatal;
  }

  private readonly unused: GPUBuffer[] = [];
  private uniformPlaceholderBuffer: GPUBuffer | null = null;

  /** 16-byte storage buffers for bindings a kernel declares but does not use this time (a matmul
   * without bias, an update without velocity): 'auto' layouts need every declared binding
   * filled, and WebGPU forbids one buffer in two bindings of a dispatch when either is
   * writable, so each unused binding of a dispatch takes its own `slot` (0, 1, 2, ...). */
  unusedStorage(slot: number): GPUBuffer {
    while (this.unused.length <= slot) this.unused.push(this.storage(`unused binding ${this.unused.length}`, 16));
    return this.unused[slot];
  }

  /** A 64-byte uniform buffer for declared but unread uniform bindings (the largest they declare:
   * the optimizer's Hyper). */
  get uniformPlaceholder(): GPUBuffer {
    this.uniformPlaceholderBuffer ??= this.uniform('uniform placeholder', new Uint32Array(16));
    return this.uniformPlaceholderBuffer;
  }

  /** The device was created with the 'subgroups' feature (requested wherever the adapter offers
   * it): kernels may use subgroup operations. */
  get hasSubgroups(): boolean {
    return this.device.features.has('subgroups');
  }

  get liveBytes(): number {
    return this.liveBytesCount;
  }

  createBuffer(label: string, size: number, usage: GPUBufferUsageFlags, init?: ArrayBufferView): GPUBuffer {
    this.check();
    // Storage bindings must be multiples of 4 bytes and non-empty.
    const padded = Math.max(4, Math.ceil(size / 4) * 4);
    const max = this.device.limits.maxBufferSize;
    if (padded > max) {
      throw new GpuDeviceError(`buffer "${label}" needs ${padded} bytes, over this device's maxBufferSize ${max}`);
    }
    const buffer = this.device.createBuffer({ label, size: padded, usage, mappedAtCreation: !!init });
    if (init) {
      new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(init.buffer, init.byteOffset, init.byteLength));
      buffer.unmap();
    }
    this.liveBuffers.add(buffer);
    this.liveBytesCount += padded;
    return buffer;
  }

  /** A storage buffer readable and writable by kernels, and copyable both ways. */
  storage(label: string, sizeOrData: number | ArrayBufferView): GPUBuffer {
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    return typeof sizeOrData === 'number'
      ? this.createBuffer(label, sizeOrData, usage)
      : this.createBuffer(label, sizeOrData.byteLength, usage, sizeOrData);
  }

  uniform(label: string, data: ArrayBufferView): GPUBuffer {
    return this.createBuffer(label, data.byteLength, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, data);
  }

  /** Queues a CPU -> GPU copy; it lands before any later submit runs. */
  write(buffer: GPUBuffer, data: ArrayBufferView, offsetBytes = 0): void {
    this.device.queue.writeBuffer(buffer, offsetBytes, data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
  }

  /** Returns a function that destroys every buffer created after this call (placeholders
   * excepted): a run on a shared context frees what it allocated and keeps the pipelines. */
  trackNewBuffers(): () => void {
    const before = new Set(this.liveBuffers);
    return () => {
      const shared = [...this.unused, this.uniformPlaceholderBuffer, this.staging];
      for (const b of [...this.liveBuffers]) if (!before.has(b) && !shared.includes(b)) this.destroyBuffer(b);
    };
  }

  destroyBuffer(buffer: GPUBuffer): void {
    if (!this.liveBuffers.delete(buffer)) return;
    this.liveBytesCount -= buffer.size;
    buffer.destroy();
  }

  /** Compiled once per (code, entry point, override constants); compiling is slow on SwiftShader. */
  pipeline(code: string, entryPoint: string, constants: Record<string, number> = {}): GPUComputePipeline {
    this.check();
    const key = `${entryPoint}|${JSON.stringify(constants)}|${code}`;
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      let module = this.modules.get(code);
      if (!module) {
        module = this.device.createShaderModule({ code });
        this.modules.set(code, module);
      }
      pipeline = this.device.createComputePipeline({
        layout: 'auto',
        compute: { module, entryPoint, constants },
      });
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  private staging: GPUBuffer | null = null;
  private reading: Promise<unknown> = Promise.resolve();

  /** Grows the one staging buffer that read-backs go through to at least `bytes`, so a run can
   * size it before its first step and keep the live-bytes count flat from there. */
  reserveReadback(bytes: number): void {
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    if (this.staging && this.staging.size >= size) return;
    if (this.staging) this.destroyBuffer(this.staging);
    this.staging = this.createBuffer('read-back staging', size, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
  }

  /** Copies `bytes` bytes of a buffer back to the CPU; the one place that waits on the GPU. Reads
   * take turns on one staging buffer (a mapped buffer cannot be copied into). */
  read(buffer: GPUBuffer, bytes = buffer.size, offset = 0): Promise<ArrayBuffer> {
    const turn = this.reading.then(() => this.readNow(buffer, bytes, offset));
    this.reading = turn.catch(() => {});
    return turn;
  }

  private async readNow(buffer: GPUBuffer, bytes: number, offset: number): Promise<ArrayBuffer> {
    return (await this.readPacked([{ buffer, bytes, offset }]))[0];
  }

  /** Whole buffers (sizes multiples of 4, as storage buffers are) back to the CPU, packed side by
   * side into the staging buffer: one submit and one map per staging-full, instead of one per
   * buffer. The staging buffer grows only to the largest buffer, as single reads make it. */
  readAll(buffers: readonly GPUBuffer[]): Promise<ArrayBuffer[]> {
    const turn = this.reading.then(async () => {
      this.reserveReadback(Math.max(0, ...buffers.map((b) => b.size)));
      const out: ArrayBuffer[] = [];
      for (let i = 0; i < buffers.length;) {
        const batch: { buffer: GPUBuffer; bytes: number; offset: number }[] = [];
        for (let used = 0; i < buffers.length && used + buffers[i].size <= this.staging!.size; used += buffers[i++].size) {
          batch.push({ buffer: buffers[i], bytes: buffers[i].size, offset: 0 });
        }
        out.push(...(await this.readPacked(batch)));
      }
      return out;
    });
    this.reading = turn.catch(() => {});
    return turn;
  }

  /** Copies each part into the staging buffer after the one before, maps once, and slices. */
  private async readPacked(parts: readonly { buffer: GPUBuffer; bytes: number; offset: number }[]): Promise<ArrayBuffer[]> {
    this.check();
    const total = parts.reduce((a, p) => a + p.bytes, 0);
    this.reserveReadback(total);
    const staging = this.staging!;
    const enc = this.device.createCommandEncoder();
    let at = 0;
    for (const p of parts) {
      enc.copyBufferToBuffer(p.buffer, p.offset, staging, at, p.bytes);
      at += p.bytes;
    }
    this.device.queue.submit([enc.finish()]);
    const mapped = Math.ceil(total / 8) * 8;
    try {
      await staging.mapAsync(GPUMapMode.READ, 0, mapped);
    } catch (err) {
      this.check();
      throw err;
    }
    const range = staging.getMappedRange(0, mapped);
    at = 0;
    const copies = parts.map((p) => range.slice(at, (at += p.bytes)));
    staging.unmap();
    this.check();
    return copies;
  }

  /** Resolves once all work submitted so far has run. Implemented as a 4-byte read-back, not
   * queue.onSubmittedWorkDone(), which crashes Dawn inside Vitest's forked workers. */
  async sync(): Promise<void> {
    await this.read(this.unusedStorage(0), 4);
  }

  async readF32(buffer: GPUBuffer, count: number, offsetElems = 0): Promise<Float32Array> {
    return new Float32Array(await this.read(buffer, count * 4, offsetElems * 4));
  }

  async readU32(buffer: GPUBuffer, count: number, offsetElems = 0): Promise<Uint32Array> {
    return new Uint32Array(await this.read(buffer, count * 4, offsetElems * 4));
  }

  destroy(): void {
    for (const b of this.liveBuffers) b.destroy();
    this.liveBuffers.clear();
    this.liveBytesCount = 0;
    this.unused.length = 0;
    this.uniformPlaceholderBuffer = null;
    this.staging = null;
    this.device.destroy();
  }
}

const browserHelp =
  'WebGPU is not available in this browser. Use Chrome or Edge 113+ (Chrome on Linux: start it with ' +
  '--enable-unsafe-webgpu, or enable chrome://flags/#enable-unsafe-webgpu), and make sure ' +
  'chrome://gpu does not list WebGPU as disabled.';

const nodeHelp =
  'Dawn (npm `webgpu`) found no WebGPU adapter. Install the Vulkan loader (Debian: apt-get install ' +
  'libvulkan1) and a Vulkan driver; on a machine without a GPU point Vulkan at SwiftShader, which ' +
  'Debian\'s chromium ships: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json.';

interface AdapterSource {
  adapter: GPUAdapter | null;
  runtime: Runtime;
}

/** A page or a web worker (where `window` is undefined but WebGPU is there too). */
const inBrowser = (): boolean =>
  typeof window !== 'undefined' || typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined';

async function requestAdapter(options: GPURequestAdapterOptions): Promise<AdapterSource> {
  if (inBrowser()) {
    const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
    if (!gpu) throw new GpuUnavailableError(browserHelp);
    return { adapter: await gpu.requestAdapter(options), runtime: 'browser' };
  }
  // '#node-gpu' (package.json "imports") is node-gpu.ts under Node's resolution (Node, Vitest's
  // Node projects, the esbuild device bundle) and a stub in browser builds: no native addon there.
  const { requestNodeAdapter } = await import('#node-gpu');
  return { adapter: await requestNodeAdapter(options, nodeHelp), runtime: 'node' };
}

export async function requestGpu(options: GpuOptions = {}): Promise<GpuContext> {
  const { adapter, runtime } = await requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new GpuUnavailableError(runtime === 'browser' ? browserHelp : nodeHelp);
  }
  const requiredLimits: Record<string, number> = {};
  for (const [name, need] of Object.entries(REQUIRED_LIMITS)) {
    const have = (adapter.limits as unknown as Record<string, number>)[name];
    if (have < need) {
      throw new GpuUnavailableError(`This adapter's ${name} is ${have}; the kernels need at least ${need}.`);
    }
  }
  // Ask for the adapter's full storage sizes: the u8 training set (47 MB) fits the default, but
  // larger user data sets and batches should not hit an artificial ceiling.
  for (const name of ['maxStorageBufferBindingSize', 'maxBufferSize'] as const) {
    requiredLimits[name] = adapter.limits[name];
  }
  const features = ['subgroups', ...(options.optionalFeatures ?? [])].filter((f): f is GPUFeatureName => adapter.features.has(f));
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures: features });
  const info = adapter.info;
  const limits: Record<string, number> = {};
  for (const name of REPORTED_LIMITS) limits[name] = device.limits[name];
  const summary: AdapterSummary = {
    runtime,
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallbackAdapter: isFallback(adapter),
    features: [...device.features].map(String).sort(),
    limits,
    userAgent: runtime === 'browser' ? navigator.userAgent : `Node ${process.version}, Dawn (npm webgpu)`,
  };
  return new GpuContext(device, summary, options.onFatal);
}

function isFallback(adapter: GPUAdapter): boolean {
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const legacy = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  // Dawn in Node reports neither flag; SwiftShader is a CPU rasteriser whatever it calls itself.
  return Boolean(info.isFallbackAdapter ?? legacy) || /swiftshader|llvmpipe|lavapipe/i.test(
    `${info.vendor} ${info.architecture} ${info.device} ${info.description}`,
  );
}

export function describeAdapter(a: AdapterSummary): string {
  const name = [a.vendor, a.architecture, a.device || a.description].filter(Boolean).join(' / ');
  return `${name || 'unknown adapter'} (${a.runtime}${a.isFallbackAdapter ? ', CPU fallback' : ''})`;
}
