// The Markdown table written beside each JSON result (bench/results/<date>-<adapter>.md).
import { describeAdapter } from '../gpu/context.ts';
import type { BenchResult, MatmulRow } from './types.ts';

const f = (x: number | null | undefined, digits = 2): string => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits));
const pct = (x: number | null): string => (x === null ? '-' : `${(100 * x).toFixed(x < 0.1 ? 1 : 0)}%`);
const table = (head: string[], rows: string[][]): string =>
  [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

function matmulTables(r: BenchResult): string[] {
  const out: string[] = [];
  const variants = [...new Set(r.matmul.map((m) => m.variant))];
  for (const B of [...new Set(r.matmul.map((m) => m.batch))]) {
    const rows = r.matmul.filter((m) => m.batch === B);
    const shapes = [...new Map(rows.map((m) => [`${m.layer} ${m.role}`, m])).values()];
    out.push(`Batch ${B}: ms per call / GFLOP/s / fraction of the FMA peak, the peak shader timed beside each kernel in ` +
      'interleaved rounds (median of the rounds\' ratios). — not timed: see notes.', '');
    out.push(table(['layer', 'role', 'M x N x K', 'epilogue', 'MFLOP', ...variants], shapes.map((s) => {
      const cells = variants.map((v) => {
        const m: MatmulRow | undefined = rows.find((x) => x.variant === v && x.layer === s.layer && x.role === s.role);
        if (!m || m.ms === null) return '—';
        return `${f(m.ms, 3)} / ${f(m.gflops)} / ${pct(m.fractionOfPeak)}${m.ran !== m.variant ? ` (${m.ran})` : ''}`;
      });
      const op = `${s.M}x${s.N}x${s.K}${s.transA ? ' A^T' : ''}${s.transB ? ' B^T' : ''}`;
      return [s.layer, s.role, op, s.epilogue, f(s.flops / 1e6, 1), ...cells];
    })), '');
  }
  return out;
}

export function renderMarkdown(r: BenchResult): string {
  const a = r.adapter;
  const e = r.environment;
  const lines: string[] = [
    `# Benchmark: ${describeAdapter(a)}, ${r.date.slice(0, 10)} (${r.mode})`,
    '',
    ...(r.interrupted ? [`**Interrupted: partial results.** Sections not run: ${r.interrupted.skippedSections.join(', ')}.`, ''] : []),
    `- adapter: vendor \`${a.vendor}\`, architecture \`${a.architecture}\`, device \`${a.device}\`, description \`${a.description}\``,
    `- **isFallbackAdapter: ${a.isFallbackAdapter}**${a.isFallbackAdapter ? ' — a CPU running the shaders; these are not GPU numbers' : ''}`,
    `- runtime: ${e.runtime}, ${e.runtimeVersion}; user agent: ${e.userAgent}`,
    ...(e.host ? [`- host: ${e.host.cpuModel}, ${e.host.cpus} CPUs, Node ${e.host.node}, ${e.host.platform}, ` +
      `load average at start ${e.host.loadAverage.map((x) => x.toFixed(1)).join(' / ')} (1/5/15 min)`] : []),
    `- features: ${a.features.join(', ') || 'none'}`,
    `- limits: ${Object.entries(a.limits).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `- options: repeats ${r.options.repeats} (median reported, warm-up excluded), batches ${r.options.batches.join(', ')}, ` +
      `variants ${r.options.variants.join(', ')}, sections ${r.options.sections.join(', ')}; ${r.totalSeconds.toFixed(0)} s in all`,
    `- validation: ${r.validation.checks.length} checks against the CPU twins, ` +
      (r.validation.passed ? 'all passed' : `**${r.validation.checks.filter((c) => !c.ok).length} FAILED** (failed kernels are not timed)`),
    '',
  ];
  const failed = r.validation.checks.filter((c) => !c.ok);
  if (failed.length) lines.push(...failed.map((c) => `  - FAILED ${c.detail ?? c.name}`), '');

  if (r.ceiling) {
    const c = r.ceiling;
    lines.push('## 1. Adapter ceiling', '', table(['figure', 'value', 'median of'], [
      ['FMA peak, x * m + c', `${f(c.fmaGflops)} GFLOP/s`, `${c.timings.fma.repeats} x ${c.timings.fma.inner} dispatches`],
      ['FMA peak, fma()', `${f(c.fmaBuiltinGflops)} GFLOP/s`, `${c.timings.fmaBuiltin.repeats} x ${c.timings.fmaBuiltin.inner}`],
      ['copy bandwidth (read + write)', `${f(c.copyGBps, 3)} GB/s`, `${c.timings.copy.repeats} x ${c.timings.copy.inner} (${c.copyBytes / 2 ** 20} MiB)`],
      ['empty dispatch', `${f(c.emptyDispatchUs, 1)} µs`, `${c.timings.empty.repeats} x ${c.timings.empty.inner}`],
      ['submit + 4-byte read-back', `${f(c.submitReadbackMs, 3)} ms`, `${c.timings.submitReadback.repeats} x ${c.timings.submitReadback.inner}`],
    ]), '', `Peak used for fractions below: **${f(c.peakGflops)} GFLOP/s** ` +
      `(${c.fmaShape.invocations} invocations x ${c.fmaShape.iters} rounds).`, '');
  }
  if (r.matmul.length) lines.push('## 2. Matmul variants on the training shapes', '', ...matmulTables(r));
  if (r.training.length) {
    lines.push('## 3. Training step', '', 'Ratios (step / Σ, pipelined / Σ, GPU speed-up) are medians of per-round ratios: every ' +
      'figure of a batch size is timed once per round, in turn, so a load change on a shared machine affects all of them alike. ' +
      'Steps timed alone or pipelined run at lr 0 (same arithmetic, no drift into saturation from repeating a batch).', '', table(
      ['batch', 'kernels', 'step ms (trainer)', 'samples/s', 'pipelined ms', 'Σ kernels alone ms', 'step / Σ', 'pipelined / Σ', 'dispatches',
        'MFLOP/step', 'MB/step', 'recipe epoch s (extrapolated)', 'eval step ms', 'read-backs', 'live bytes before → after'],
      r.training.map((t) => [String(t.batch), t.fused ? 'fused' : 'one per operation', f(t.stepMs), f(t.samplesPerSec, 0), f(t.pipelinedStepMs),
        f(t.sumStandaloneMs), f(t.stepOverSum), f(t.pipelinedOverSum), String(t.dispatchesPerStep), f(t.flopsPerStep / 1e6, 1), f(t.bytesPerStep / 1e6, 2),
        f(t.epochSecondsExtrapolated, 1), f(t.evalStepMs), `${t.readsPerReadback} per ${t.readbackEvery} steps`,
        `${t.liveBytes.before} → ${t.liveBytes.after}`]),
    ), '');
    if (r.kernelChoice) {
      const k = r.kernelChoice;
      const problems = [...new Set(k.trials.map((t) => t.problem))];
      lines.push(`Kernel choice per shape${k.forced ? ` (forced: ${k.forced})` : ''}: each matmul of the step chooses its variant by a ` +
        'trial on its own shape, as does each convolution\'s forward and input gradient (validated against the CPU twin, then timed; ms per dispatch, the fastest of its runs; a candidate ' +
        'that cannot win stops early). The trainer caches the choices per adapter.', '', table(['shape (M x N x K, epilogue; convolutions: batch x C x H x W -> channels)', 'chosen', 'trials'],
        [...Object.entries(k.matmul), ...Object.entries(k.biasGrad), ...Object.entries(k.conv2d)].map(([problem, variant]) => [problem, variant,
          problems.includes(problem) ? k.trials.filter((t) => t.problem === problem)
            .map((t) => `${t.variant} ${t.ms === null ? 'did not match' : f(t.ms, 3)}`).join(', ') : 'known']),
      ), '');
    }
    if (r.cnnTraining.length) {
      lines.push('The CNN preset\'s step, the trainer\'s own loop (plain SGD, synthetic images); dispatches: the batch\'s gather and ' +
        'the step\'s kernels.', '', table(['model', 'batch', 'lr', 'step ms (trainer)', 'samples/s', 'steps per read-back', 'dispatches', 'rounds'],
        r.cnnTraining.map((c) => [`\`${c.model}\``, String(c.batch), String(c.lr), f(c.stepMs), f(c.samplesPerSec, 1), String(c.readbackEvery),
          `${c.dispatchesPerStep} (${c.dispatches.map((d) => d.split(' ')[0]).join(', ')})`, String(c.timing.repeats)])), '');
    }
    for (const t of r.training) {
      lines.push(`Step split at batch ${t.batch} (share from ${t.splitMethod === 'timestamp-query'
        ? `timestamp queries, one pass per dispatch: Σ ${f(t.timestampSumMs)} ms` : 'standalone timings'}):`, '');
      lines.push(table(['dispatch', 'alone ms', 'in step ms (timestamps)', 'share', 'MFLOP', 'KB'],
        t.kernels.map((k) => [k.label, f(k.standaloneMs, 3), f(k.timestampMs, 3), pct(k.share), f(k.flops / 1e6, 2), f(k.bytes / 1024, 1)])), '');
    }
  }
  if (r.cpuReference.length) {
    lines.push('## 4. GPU vs the CPU reference (same step, float64 reference in this runtime\'s JavaScript)', '', table(
      ['batch', 'CPU ms/step', 'GPU ms/step', 'GPU speed-up'],
      r.cpuReference.map((c) => [String(c.batch), f(c.cpuStepMs, 1), f(c.gpuStepMs), `${f(c.gpuSpeedup)}x`]),
    ), '');
  }
  if (r.toy) {
    lines.push('## 5. Toy network, per-sample SGD, per epoch', '', table(
      ['network', 'rows', 'CPU ms/epoch', 'GPU ms/epoch', 'GPU speed-up', 'dispatches per row'],
      r.toy.rows.map((t) => [t.network, String(t.rows), f(t.cpuEpochMs, 4), f(t.gpuEpochMs, 3), `${f(t.gpuSpeedup, 3)}x`, String(t.dispatchesPerRow)]),
    ), '', r.toy.crossoverWidth === null
      ? 'Crossover: none in the widths measured; the CPU reference wins at every width (at batch 1 the GPU step is ' +
        'a dozen dispatches whatever the width; the GPU catches up as the width grows).'
      : `Crossover: the GPU first wins at width ${r.toy.crossoverWidth}.`, '');
  }
  if (r.data) {
    lines.push('## 6. Data path: upload once + GPU gather (A) vs a streamed ring (B), per epoch of 60,000 images', '',
      '(A): the u8 set uploaded once (shown apart), then per epoch the shuffled order written and every batch gathered on the ' +
      'GPU by it. (B): per step the CPU gathers the batch\'s u8 rows and labels by the same order, writeBuffer()s them into a ring ' +
      'slot and a kernel converts the slot to f32. Both submit steps as the trainer does and advance its step counter; one sync ' +
      'per epoch. B / A and B − A are medians of per-round figures; break-even = upload / (B − A).', '', table(
        ['batch', 'steps (per submit)', 'upload once ms (resident MB)', '(A) gather ms/epoch', '(B) streaming ms/epoch',
          'of which CPU gather + writeBuffer ms', 'B / A', 'B − A ms/epoch', 'break-even epochs', 'ring slots (MB)'],
        r.data.rows.map((d) => [String(d.batch), `${d.steps} (${d.stepsPerSubmit})`, `${f(d.uploadMs, 0)} (${f(d.residentBytes / 1e6, 1)})`,
          f(d.onceEpochMs, 0), f(d.streamEpochMs, 0), f(d.streamCpuMs, 0), f(d.streamOverOnce), f(d.streamExtraMsPerEpoch, 0),
          d.breakEvenEpochs === null ? 'never' : f(d.breakEvenEpochs, 1), `${d.ringSlots} (${f(d.ringBytes / 1e6, 2)})`]),
      ), '', `**Conclusion** (${r.data.epochs} epochs, the recipe's): ${r.data.conclusion}`, '');
  }
  if (r.peers) {
    const p = r.peers;
    lines.push('## 7. Peers: TensorFlow.js (WebGPU backend) training the same networks', '',
      `${p.versions} on ${p.tfjsAdapter.vendor} / ${p.tfjsAdapter.architecture}${p.sameAdapter ? ' (the same adapter)' : ' (**another adapter**)'}: ` +
      'a hand-written loop (tf.variable weights from our initial values; tf.conv2d + add + relu, tf.maxPool, reshape, matMul + add + ' +
      'activation; tf.losses.softmaxCrossEntropy; tf.train.sgd minimize, asked for the cost only on the step whose loss is read back), ' +
      'data resident as tensors and sliced per batch; plain SGD at lr 0.5 (MLP) and 0.01 (CNN). Both trainers run intervals of the same ' +
      'steps ending in one loss read-back, in interleaved rounds; ours / tfjs is the median of the rounds\' ratios. Validated ' +
      'first: two tfjs steps from the same weights and batch against the CPU reference.', '', table(
        ['model', 'batch', 'steps per read-back', 'ours ms/step', 'ours samples/s', 'tfjs ms/step', 'tfjs samples/s', 'ours / tfjs', 'rounds'],
        p.rows.map((x) => [x.model, String(x.batch), String(x.stepsPerReadback), f(x.oursStepMs, 3), f(x.oursSamplesPerSec, 0), f(x.tfjsStepMs, 3),
          f(x.tfjsSamplesPerSec, 0), `${f(x.oursOverTfjs)}x`, String(x.timings.ours.repeats)]),
      ), '');
  }
  if (r.jaxPeer) {
    const p = r.jaxPeer;
    lines.push('### 7b. Peers: jax-js (WebGPU device) training the same networks', '');
    if (p.unavailable) lines.push(`jax-js did not run here: ${p.unavailable}`, '');
    else {
      lines.push(`${p.version} on ${p.adapter.vendor} / ${p.adapter.architecture}${p.sameAdapter ? ' (the same adapter)' : ' (**another adapter**)'}: ` +
        'the parameters as a list of arrays from our initial values (jax-js is NCHW with (out, in, k, k) kernels, as PyTorch: no ' +
        'layout conversion); the loss a function of them (lax.conv + bias + relu, lax.reduceWindow max for max pooling, reshape, ' +
        'matmul + bias + activation, mean NLL of nn.logSoftmax); one jit-compiled step (valueAndGrad of the loss, then the SGD ' +
        'update) returning the loss and the new parameters; data resident and sliced per batch; the loss read back on the ' +
        'interval\'s last step only. Same intervals, interleaved rounds and validation as the tfjs peer.', '', table(
        ['model', 'batch', 'steps per read-back', 'ours ms/step', 'ours samples/s', 'jax-js ms/step', 'jax-js samples/s', 'ours / jax-js', 'rounds'],
        p.rows.map((x) => [x.model, String(x.batch), String(x.stepsPerReadback), f(x.oursStepMs, 3), f(x.oursSamplesPerSec, 0), f(x.jaxStepMs, 3),
          f(x.jaxSamplesPerSec, 0), `${f(x.oursOverJax)}x`, String(x.timings.ours.repeats)]),
      ), '');
    }
  }
  if (r.timeToAccuracy?.length) {
    lines.push('## 8. Time to accuracy on MNIST', '', 'Each recipe trains with the trainer\'s own loop and evaluates the test set after every ' +
      'epoch until its test accuracy reaches the target; wall time counts every epoch\'s training and evaluation up to that one ' +
      '(setup: the upload and kernel trials before the first step).', '', table(
      ['model', 'target', 'reached after', 'wall s', 'setup s', 'accuracy per epoch %', 's per epoch', 'samples (train / test)', 'recipe'],
      r.timeToAccuracy.map((a) => [a.model, `${a.targetPercent}%`,
        a.epochsToTarget === null ? `**not reached** in ${a.accuracies.length} epochs${a.stopped ? ' (stopped)' : ''}` : `${a.epochsToTarget} epochs`,
        f(a.seconds, 1), f(a.setupSeconds, 1), a.accuracies.map((x) => f(x)).join(', '), a.epochSeconds.map((x) => f(x, 1)).join(', '),
        `${a.trainSamples} / ${a.testSamples}`, `\`${a.recipe}\``])), '');
  }
  if (r.targets.length) {
    lines.push('## Targets', '', table(['target', 'measured', 'holds'],
      r.targets.map((t) => [t.name, t.measured, t.holds === null ? 'n/a (CPU adapter)' : t.holds ? 'yes' : '**no**'])), '');
  }
  if (r.notes.length) lines.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}
