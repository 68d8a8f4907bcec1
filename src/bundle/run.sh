#!/usr/bin/env bash
# The device bundle's entry point (built by `npm run bundle:device`): runs the trainer's commands
# on a Linux x64 machine with a GPU driver and neither Node nor npm. The first run unpacks
# payload.tar.xz into this folder (Node, Dawn, MNIST, the Vulkan loader: about 170 MB more).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
node="$here/bin/node"

usage() {
  cat <<'EOF'
usage: run.sh check [--out DIR] [--seeds N] [--quick]
         the prepared device check, every output under DIR (default device-check-<UTC time>):
         compare --steps 200 (GPU vs CPU reference), the notebook's recipe (10 epochs) for seeds
         1..N (default 3), the cnn preset's compare (50 steps) and recipe (5 epochs) for the same seeds, then
         the full bench; --quick: 5 compare steps, one epoch on 2,000 images, bench --quick.
         Exit status: the number of steps that failed.
       run.sh train|compare|bench|sweep [OPTIONS]
         one command, in Node through Dawn (--runtime node is implied); --help lists its options.
Vulkan goes to the NVIDIA driver (its ICD file under /usr/share/vulkan/icd.d or /etc/vulkan/icd.d)
unless VK_ICD_FILENAMES is set, e.g. to /usr/lib/chromium/vk_swiftshader_icd.json to try the bundle
on a machine without a GPU.
EOF
}

die() {
  echo "run.sh: $*" >&2
  exit 1
}

unpack() {
  [ "$here/.unpacked" -nt "$here/payload.tar.xz" ] && return
  [ -w "$here" ] || die "cannot unpack into $here (not writable): copy the folder somewhere writable"
  echo "run.sh: unpacking payload.tar.xz (once)" >&2
  if command -v xz >/dev/null 2>&1; then
    xz -dc "$here/payload.tar.xz" | tar -xf - -C "$here"
  elif command -v python3 >/dev/null 2>&1; then
    python3 - "$here/payload.tar.xz" "$here" <<'EOF'
import sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    try:
        t.extractall(sys.argv[2], filter='tar')
    except TypeError:  # Python without extraction filters
        t.extractall(sys.argv[2])
EOF
  else
    die "neither xz nor python3 is here to unpack payload.tar.xz: install xz-utils"
  fi
  touch "$here/.unpacked"
}

# The NVIDIA driver's Vulkan ICD, unless the caller chose one.
choose_icd() {
  if [ -n "${VK_ICD_FILENAMES:-}" ]; then
    echo "run.sh: Vulkan driver from VK_ICD_FILENAMES=$VK_ICD_FILENAMES" >&2
    return
  fi
  local f d
  for f in /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json \
    /usr/share/vulkan/icd.d/nvidia_icd.x86_64.json /etc/vulkan/icd.d/nvidia_icd.x86_64.json; do
    if [ -f "$f" ]; then
      export VK_ICD_FILENAMES="$f"
      echo "run.sh: Vulkan driver $f" >&2
      return
    fi
  done
  # Container runtimes can mount the driver's libraries without its ICD file: describe it here.
  for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/local/nvidia/lib64 /usr/lib/nvidia; do
    if [ -e "$d/libGLX_nvidia.so.0" ]; then
      printf '{"file_format_version": "1.0.0", "ICD": {"library_path": "%s", "api_version": "1.3.0"}}\n' \
        "$d/libGLX_nvidia.so.0" >"$here/nvidia_icd.json"
      export VK_ICD_FILENAMES="$here/nvidia_icd.json"
      echo "run.sh: no NVIDIA ICD file; wrote $here/nvidia_icd.json for $d/libGLX_nvidia.so.0" >&2
      return
    fi
  done
  echo "run.sh: warning: no NVIDIA Vulkan driver found (no nvidia_icd.json in /usr/share/vulkan/icd.d or" \
    "/etc/vulkan/icd.d, no libGLX_nvidia.so.0); the Vulkan loader searches its default folders." \
    "Set VK_ICD_FILENAMES to a driver's ICD file to choose one." >&2
}

prepare() {
  unpack
  export LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  "$node" -e 0 2>/dev/null || die "the bundled Node does not start here ($("$node" -e 0 2>&1 | head -n 2 | tr '\n' ' '));" \
    "it needs glibc 2.28+ and libstdc++ (Debian/Ubuntu: libstdc++6)"
  choose_icd
}

environment() {
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host: $(uname -a)"
  echo "cpus: $(nproc 2>/dev/null || echo '?')"
  echo "node: $("$node" --version)"
  echo "VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-}"
  if [ -n "${VK_ICD_FILENAMES:-}" ] && [ -f "$VK_ICD_FILENAMES" ]; then cat "$VK_ICD_FILENAMES"; fi
  echo
  cat "$here/MANIFEST.txt"
  if command -v nvidia-smi >/dev/null 2>&1; then nvidia-smi || true; fi
}

# step NAME COMMAND ARGS...: one command, its output in $out/NAME.log; prints its exit status, time
# and last lines.
step() {
  local name=$1 cmd=$2 t0=$SECONDS rc=0
  shift 2
  echo "== $name: $cmd $*"
  "$node" "$here/app/$cmd.mjs" "$@" >"$out/$name.log" 2>&1 || rc=$?
  echo "== $name: exit $rc after $((SECONDS - t0)) s; $out/$name.log ends:"
  tail -n 4 "$out/$name.log"
  echo "$name exit $rc, $((SECONDS - t0)) s" >>"$out/steps.txt"
  return "$rc"
}

check() {
  out="device-check-$(date -u +%Y%m%dT%H%M%SZ)"
  local seeds=3 quick=0 failed=0 s
  while [ $# -gt 0 ]; do
    case "$1" in
      --out) out=${2:?--out needs a folder}; shift 2 ;;
      --seeds) seeds=${2:?--seeds needs a number}; shift 2 ;;
      --quick) quick=1; shift ;;
      *) echo "run.sh check: unknown option $1 (accepted: --out DIR, --seeds N, --quick)" >&2; exit 2 ;;
    esac
  done
  [[ "$seeds" =~ ^[1-9][0-9]?$ ]] || { echo "run.sh check: --seeds must be an integer in [1, 99], got \"$seeds\"" >&2; exit 2; }
  local compare_args=(--steps 200) cnn_compare_args=(--steps 50) train_args=() cnn_train_args=() bench_args=()
  # --model cnn brings its preset's recipe (CNN_RECIPE), as on the command line.
  local cnn=(--model cnn)
  if [ "$quick" = 1 ]; then
    compare_args=(--steps 5)
    cnn_compare_args=(--steps 5)
    train_args=(--epochs 1 --limit-train 2000 --limit-test 500)
    cnn_train_args=(--epochs 1 --limit-train 2000 --limit-test 500)
    bench_args=(--quick)
  fi
  mkdir -p "$out"
  : >"$out/steps.txt"
  environment >"$out/environment.txt" 2>&1
  step compare compare "${compare_args[@]}" --json "$out/compare.json" || failed=$((failed + 1))
  for s in $(seq 1 "$seeds"); do
    step "train-seed-$s" train --runtime node --seed "$s" ${train_args[@]+"${train_args[@]}"} --json "$out/train-seed-$s.json" ||
      failed=$((failed + 1))
  done
  step cnn-compare compare "${cnn[@]}" "${cnn_compare_args[@]}" --json "$out/cnn-compare.json" || failed=$((failed + 1))
  # Issue 21's target is the mean of seeds 1-3 of this run.
  for s in $(seq 1 "$seeds"); do
    step "cnn-train-seed-$s" train --runtime node "${cnn[@]}" --seed "$s" ${cnn_train_args[@]+"${cnn_train_args[@]}"} --json "$out/cnn-train-seed-$s.json" ||
      failed=$((failed + 1))
  done
  step bench bench --runtime node ${bench_args[@]+"${bench_args[@]}"} --out "$out/bench" || failed=$((failed + 1))
  for f in "$out"/bench/*.md; do
    [ -f "$f" ] && sed -n '/^## Targets/,/^## Notes/p' "$f"
  done
  echo "== check: $failed of $((2 * seeds + 3)) steps failed; everything is in $out/"
  exit "$failed"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  train | bench | sweep) prepare; exec "$node" "$here/app/$cmd.mjs" --runtime node "$@" ;;
  compare) prepare; exec "$node" "$here/app/compare.mjs" "$@" ;;
  check) prepare; check "$@" ;;
  '' | -h | --help | help) usage ;;
  *) echo "run.sh: unknown command \"$cmd\"" >&2; usage >&2; exit 2 ;;
esac
