#!/usr/bin/python3
"""Rate–accuracy points of nnzip's fixed-QP coding next to NNCodec (MPEG NNR / DeepCABAC), zstd -19 and xz -9.

Each tool sweeps its own QP with no training data and no search; every decoded model is measured in ONNX Runtime
(`nnzip eval --runtime ort`) on the 10,000 Fashion-MNIST test images. Sizes are % of the model's float32
initializer bytes. nnzip's sizes are whole .nnz files (topology included); NNCodec's are its bitstream of the
tensors only.

  /usr/bin/python3 scripts/codec-compare.py --nncodec /work/nncodec-build model.onnx \
      [--next next.onnx] [--nnzip-qps -8:0] [--nncodec-qps -40:-24] [--work DIR]

With --next, the update model -> next is coded: nnzip `diff --as-received` (the receiver holds the float model) and
`patch`; NNCodec the tensors next - model, added back to the float model. Accuracy is then the patched model's,
compared with next's.

NNCodec is not part of nnzip: build it locally from its public source (see README, "Codec benchmark against
NNCodec"): only its parameter-dict coding path is used, so the PyTorch/TensorFlow front ends its package imports are
replaced by empty modules here.
"""
import argparse
import json
import lzma
import os
import shlex
import subprocess
import sys
import types

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
# NNZIP='java -jar /path/nnzip.jar' pins one build (the launcher rebuilds whenever the sources change)
NNZIP = shlex.split(os.environ.get('NNZIP', os.path.join(os.path.dirname(HERE), 'nnzip')))


def load_nncodec(path):
    sys.path.insert(0, path)
    # nnc/compression.py imports the framework front ends at import time; the dict path never calls them
    fw = types.ModuleType('framework')
    fw.__path__ = []
    for name in ('tensorflow_model', 'pytorch_model'):
        m = types.ModuleType('framework.' + name)
        m.is_tef_model = m.is_pyt_model = lambda x: False
        sys.modules['framework.' + name] = m
        setattr(fw, name, m)
    sys.modules['framework'] = fw
    import nnc
    return nnc


def floats(model):
    return {i.name: numpy_helper.to_array(i) for i in model.graph.initializer if i.data_type == onnx.TensorProto.FLOAT}


def with_tensors(model, tensors, path):
    m = onnx.ModelProto()
    m.CopyFrom(model)
    for i in m.graph.initializer:
        if i.name in tensors:
            i.CopyFrom(numpy_helper.from_array(np.asarray(tensors[i.name], np.float32).reshape(numpy_helper.to_array(i).shape), i.name))
    onnx.save(m, path)


def nnzip(*args):
    out = subprocess.run([*NNZIP, *args, '--json'], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def accuracy(path):
    return 100 * nnzip('eval', path, '--runtime', 'ort', '--data', 'fashion-mnist', '--threads', '1')['accuracy']


def qp_range(s):
    a, b = (int(x) for x in s.split(':'))
    return range(a, b + 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('model')
    ap.add_argument('--next')
    ap.add_argument('--nncodec', required=True, help='directory of a local NNCodec build (nnc/, nnc_core/, deepCABAC*.so)')
    ap.add_argument('--nnzip-qps', default='-8:0')
    ap.add_argument('--nncodec-qps', default='-40:-24')
    ap.add_argument('--work', default='/tmp/codec-compare')
    ap.add_argument('--nnzip-args', default='', help='extra options for nnzip encode/diff, e.g. "--no-equal-steps"')
    ap.add_argument('--skip', default='', help='comma list of tools to skip: nnzip, nncodec')
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    skip = set(a.skip.split(','))
    base = onnx.load(a.model)
    target = onnx.load(a.next) if a.next else base
    tb = floats(target)
    raw = b''.join(tb[k].astype('<f4').tobytes() for k in sorted(tb))
    ref_path = a.next or a.model
    ref = accuracy(ref_path)
    what = a.model + (' -> ' + a.next if a.next else '')
    print(f'{what}: float32 {len(raw)} B, accuracy {ref:.2f} %')
    zs = subprocess.run(['zstd', '-19', '-c'], input=raw, capture_output=True, check=True).stdout
    print(f'  zstd -19 {100 * len(zs) / len(raw):.2f} %, xz -9 {100 * len(lzma.compress(raw, preset=9)) / len(raw):.2f} %')
    rows = []

    def report(tool, qp, size, path):
        acc = accuracy(path)
        rows.append((tool, qp, size, acc))
        print(f'  {tool:8s} qp {qp:4d}: {size:9d} B {100 * size / len(raw):7.2f} %  accuracy {acc:.2f} % ({acc - ref:+.2f})', flush=True)

    if 'nnzip' not in skip:
        for qp in qp_range(a.nnzip_qps):
            nnz, out = os.path.join(a.work, f'z{qp}.nnz'), os.path.join(a.work, f'z{qp}.onnx')
            if a.next:
                r = nnzip('diff', a.model, a.next, '--as-received', '--qp', str(qp), '-o', nnz, *a.nnzip_args.split())
                subprocess.run([*NNZIP, 'patch', a.model, nnz, '-o', out], check=True, capture_output=True)
            else:
                r = nnzip('encode', a.model, '--qp', str(qp), '-o', nnz, *a.nnzip_args.split())
                subprocess.run([*NNZIP, 'decode', nnz, '-o', out], check=True, capture_output=True)
            report('nnzip', qp, os.path.getsize(nnz), out)
    if 'nncodec' not in skip:
        nnc = load_nncodec(a.nncodec)
        fb = floats(base)
        params = {k: (tb[k] - fb[k] if a.next else tb[k]).astype(np.float32) for k in tb}
        for qp in qp_range(a.nncodec_qps):
            bs = nnc.compress(params, bitstream_path=None, qp=qp, verbose=False, return_bitstream=True)
            dec = nnc.decompress(bytearray(bs), verbose=False)
            rec = {k: (fb[k] + dec[k] if a.next else dec[k]) for k in tb}
            out = os.path.join(a.work, f'n{qp}.onnx')
            with_tensors(base, rec, out)
            report('nncodec', qp, len(bs), out)
    for tool in sorted({r[0] for r in rows}):
        for pts in (0.5, 0.1):
            ok = [r for r in rows if r[0] == tool and r[3] >= ref - pts]
            best = min(ok, key=lambda r: r[2]) if ok else None
            print(f'  {tool:8s} smallest within {pts} pts: ' + (f'{100 * best[2] / len(raw):.2f} % (qp {best[1]}, {best[3] - ref:+.2f})' if best else 'none'))


if __name__ == '__main__':
    main()
