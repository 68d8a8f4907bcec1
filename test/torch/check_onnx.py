#!/usr/bin/env python3
"""Runs ONNX's own checker on exported models: onnx.checker.check_model with full_check=True,
which also runs strict shape inference over the graph. Needs the onnx package only (Debian:
python3-onnx; 1.12 knows opsets up to 17). test/unit/onnx-checker.test.ts runs it on fresh
exports; by hand:

    python3 test/torch/check_onnx.py model.onnx [more.onnx ...]

Prints one line per file (its IR version, opset, operators and output shapes) and exits 1 at the
first file the checker rejects, with the checker's message."""
import sys

import onnx


def shape(value):
    dims = value.type.tensor_type.shape.dim
    return '[' + ', '.join(d.dim_param or str(d.dim_value) for d in dims) + ']'


def check(path):
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    inferred = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    opset = next(o.version for o in model.opset_import if o.domain in ('', 'ai.onnx'))
    ops = sorted({n.op_type for n in model.graph.node})
    outputs = ', '.join(f'{o.name} {shape(o)}' for o in inferred.graph.output)
    print(f'{path}: ok (IR {model.ir_version}, opset {opset}, onnx {onnx.__version__}; '
          f'{", ".join(ops)}; input {model.graph.input[0].name} {shape(model.graph.input[0])}; {outputs})')


def main(paths):
    if not paths:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print('usage: python3 test/torch/check_onnx.py model.onnx [more.onnx ...]', file=sys.stderr)
        return 2
    for path in paths:
        try:
            check(path)
        except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as e:
            print(f'{path}: rejected by onnx {onnx.__version__}: {e}', file=sys.stderr)
            return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
