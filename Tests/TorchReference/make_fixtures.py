#!/usr/bin/env python3
"""Writes the golden JSON fixtures for the Swift DIP engine tests.

    python3 Tests/TorchReference/make_fixtures.py [--out DIR] [--only NAME ...]

For each configuration: build the skip net, fill its parameters with the
deterministic values of fixture_rng.py, run one forward pass in training mode
(BatchNorm batch statistics) on the deterministic input, take the MSE loss
against the deterministic target, back-propagate, and record the output, the
loss, the gradients, and the parameters after one Adam step (lr 0.01).

The same run is repeated in float64 to record how far float32 rounding alone
moves each stored number (see README.md). Runs single-threaded, so that
regenerating on another machine gives the same float32 results as far as the
CPU kernels allow.
"""

import argparse
import copy
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import fixture_rng  # noqa: E402
from skip_net import count_parameters, denoise_net, skip  # noqa: E402

DEFAULT_OUT = os.path.normpath(
    os.path.join(HERE, '..', 'DIPEngineTests', 'Fixtures'))

FULL_VALUES_MAX = 512   # tensors up to this size are stored in full
SAMPLE_COUNT = 256      # otherwise this many samples at (j * n) // 256
ADAM_LR = 0.01
# A gradient tensor whose float64 L2 norm is below this is zero in exact
# arithmetic (float64 leaves ~1e-18 where float32 leaves ~1e-10).
EXACT_ZERO_L2 = 1e-13

CONFIGS = [
    dict(name='small_modes',
         input_channels=4, output_channels=3,
         channels_down=[8, 12, 16], channels_up=[8, 12, 16],
         channels_skip=[2, 0, 4],
         filter_size_down=[3, 5, 3], filter_size_up=[3, 3, 1],
         filter_skip_size=1,
         need_sigmoid=True, need_bias=True, pad='reflection',
         upsample_mode=['nearest', 'bilinear', 'nearest'],
         downsample_mode=['stride', 'avg', 'max'],
         need1x1_up=True, height=24, width=24),
    dict(name='small_crop',
         input_channels=3, output_channels=2,
         channels_down=[6, 10], channels_up=[6, 10], channels_skip=[2, 3],
         filter_size_down=[3, 3], filter_size_up=[3, 3],
         filter_skip_size=1,
         need_sigmoid=False, need_bias=True, pad='zero',
         upsample_mode=['bilinear', 'nearest'],
         downsample_mode=['stride', 'stride'],
         need1x1_up=False, height=18, width=22),
    dict(name='denoise_64',
         input_channels=32, output_channels=3,
         channels_down=[128] * 5, channels_up=[128] * 5, channels_skip=[4] * 5,
         filter_size_down=[3] * 5, filter_size_up=[3] * 5,
         filter_skip_size=1,
         need_sigmoid=True, need_bias=True, pad='reflection',
         upsample_mode=['bilinear'] * 5, downsample_mode=['stride'] * 5,
         need1x1_up=True, height=64, width=64),
]

CONFIG_KEYS = ['input_channels', 'output_channels', 'channels_down',
               'channels_up', 'channels_skip', 'filter_size_down',
               'filter_size_up', 'filter_skip_size', 'need_sigmoid',
               'need_bias', 'pad', 'upsample_mode', 'downsample_mode',
               'need1x1_up', 'height', 'width']


def build(cfg):
    return skip(cfg['input_channels'], cfg['output_channels'],
                cfg['channels_down'], cfg['channels_up'], cfg['channels_skip'],
                filter_size_down=cfg['filter_size_down'],
                filter_size_up=cfg['filter_size_up'],
                filter_skip_size=cfg['filter_skip_size'],
                need_sigmoid=cfg['need_sigmoid'], need_bias=cfg['need_bias'],
                pad=cfg['pad'], upsample_mode=cfg['upsample_mode'],
                downsample_mode=cfg['downsample_mode'], act_fun='LeakyReLU',
                need1x1_up=cfg['need1x1_up'])


def check_parameter_counts():
    # Spec section 2: the denoising / SR preset.
    n = count_parameters(denoise_net())
    assert n == 2217831, n
    # The activation-maximisation net (2948567 printed by the reference).
    net = skip(32, 3,
               [16, 32, 64, 128, 128, 128], [16, 32, 64, 128, 128, 128],
               [0, 4, 4, 4, 4, 4],
               filter_size_down=[5, 3, 5, 5, 3, 5],
               filter_size_up=[5, 3, 5, 3, 5, 3],
               downsample_mode='avg', upsample_mode='bilinear')
    n = count_parameters(net)
    assert n == 2948567, n


# --- JSON output with controlled float formatting ---------------------------

class F32:
    """A float32 value, written as its shortest round-tripping decimal."""
    __slots__ = ('v',)

    def __init__(self, v):
        self.v = np.float32(v)


class F64:
    """A float64 statistic, written with 9 significant digits."""
    __slots__ = ('v',)

    def __init__(self, v):
        self.v = float(v)


def _f32_text(v):
    if not np.isfinite(v):
        raise ValueError(f'non-finite value {v}')
    if v == 0:
        return '0'
    if abs(v) < 1e-4 or abs(v) >= 1e7:
        return np.format_float_scientific(v, unique=True, trim='-')
    return np.format_float_positional(v, unique=True, trim='-')


def _encode(obj, depth=0):
    if isinstance(obj, F32):
        return _f32_text(obj.v)
    if isinstance(obj, F64):
        if not math.isfinite(obj.v):
            raise ValueError(f'non-finite value {obj.v}')
        return '%.9g' % obj.v
    if isinstance(obj, np.ndarray):
        if obj.dtype == np.float32:
            return '[' + ','.join(_f32_text(v) for v in obj.ravel()) + ']'
        return json.dumps([int(v) for v in obj.ravel()])
    if isinstance(obj, dict):
        sep = ',\n' + '  ' * (depth + 1) if depth < 1 else ','
        head = '{\n' + '  ' * (depth + 1) if depth < 1 else '{'
        tail = '\n' + '  ' * depth + '}' if depth < 1 else '}'
        return head + sep.join(json.dumps(k) + ':' + _encode(v, depth + 1)
                               for k, v in obj.items()) + tail
    if isinstance(obj, list):
        if obj and isinstance(obj[0], dict):
            inner = ',\n' + '  ' * (depth + 1)
            return ('[\n' + '  ' * (depth + 1) +
                    inner.join(_encode(v, depth + 1) for v in obj) +
                    '\n' + '  ' * depth + ']')
        return '[' + ','.join(_encode(v, depth + 1) for v in obj) + ']'
    if isinstance(obj, (bool, int, str)) or obj is None:
        return json.dumps(obj)
    raise TypeError(type(obj))


def tensor_summary(t):
    flat = t.detach().cpu().contiguous().view(-1).numpy().astype(np.float32)
    n = flat.size
    f64 = flat.astype(np.float64)
    entry = {'sum': F64(f64.sum()), 'l2': F64(math.sqrt((f64 * f64).sum())),
             'count': n}
    if n <= FULL_VALUES_MAX:
        entry['values'] = flat
    else:
        idx = np.array([(j * n) // SAMPLE_COUNT for j in range(SAMPLE_COUNT)],
                       dtype=np.int64)
        entry['sample_indices'] = idx
        entry['sample_values'] = flat[idx]
    return entry


def parameter_kinds(net):
    """Per parameter (parameters() order): 'conv.weight', 'conv.bias',
    'bn.weight' or 'bn.bias'."""
    kinds = {}
    for module in net.modules():
        if isinstance(module, nn.Conv2d):
            prefix = 'conv'
        elif isinstance(module, nn.BatchNorm2d):
            prefix = 'bn'
        else:
            continue
        for attr, p in module.named_parameters(recurse=False):
            kinds[id(p)] = prefix + '.' + attr
    return [kinds[id(p)] for p in net.parameters()]


def run_once(net, z, target):
    """Forward, MSE loss, backward, one Adam step. Returns (output, loss,
    gradients, parameters after the step), all detached copies."""
    params = list(net.parameters())
    out = net(z)
    loss = nn.MSELoss()(out, target)
    loss.backward()
    grads = [p.grad.detach().clone() for p in params]
    opt = torch.optim.Adam(params, lr=ADAM_LR, betas=(0.9, 0.999), eps=1e-8)
    opt.step()
    after = [p.detach().clone() for p in params]
    return out.detach(), loss.detach(), grads, after


def _rel_l2(a, b):
    a = a.double()
    b = b.double()
    denom = b.norm().item()
    return (a - b).norm().item() / denom if denom > 0 else float('inf')


def make_fixture(cfg):
    net = build(cfg)
    net.train()
    fixture_rng.init_parameters(net)

    cin, cout = cfg['input_channels'], cfg['output_channels']
    h, w = cfg['height'], cfg['width']
    z = fixture_rng.uniform_tensor(fixture_rng.INPUT_SEED, (1, cin, h, w), 0.1)
    target = fixture_rng.uniform_tensor(fixture_rng.TARGET_SEED,
                                        (1, cout, h, w))

    named = list(net.named_parameters())
    kinds = parameter_kinds(net)
    net64 = copy.deepcopy(net).double()

    out, loss, grads, after = run_once(net, z, target)
    assert tuple(out.shape) == (1, cout, h, w), tuple(out.shape)

    # The same computation in float64: tells how far float32 rounding alone
    # moves each stored number, so the Swift tests can size tolerances.
    out64, loss64, grads64, after64 = run_once(net64, z.double(),
                                               target.double())

    output = out[0].contiguous().view(-1).numpy().copy()
    gradients, after_step, exact_zero = [], [], []
    for g, g64, p, p64 in zip(grads, grads64, after, after64):
        zero = g64.norm().item() < EXACT_ZERO_L2
        exact_zero.append(zero)
        entry = tensor_summary(g)
        entry['f64_rel_l2'] = F64(0.0 if zero else _rel_l2(g, g64))
        gradients.append(entry)
        entry = tensor_summary(p)
        entry['f64_max_abs_diff'] = F64((p.double() - p64).abs().max().item())
        after_step.append(entry)

    fixture = {
        'name': cfg['name'],
        'config': {k: cfg[k] for k in CONFIG_KEYS},
        'torch_version': torch.__version__,
        'parameters': [{'name': name, 'shape': list(p.shape), 'kind': kind,
                        'exact_zero_gradient': zero}
                       for (name, p), kind, zero
                       in zip(named, kinds, exact_zero)],
        'output_shape': [cout, h, w],
        'output': output,
        'loss': F32(loss.item()),
        'gradients': gradients,
        'after_adam_step': after_step,
    }
    stats = dict(params=count_parameters(net), loss=float(loss.item()),
                 loss64=float(loss64.item()),
                 out_diff=(out.double() - out64).abs().max().item(),
                 exact_zero=sum(exact_zero))
    return fixture, stats


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', default=DEFAULT_OUT)
    ap.add_argument('--only', nargs='*', default=None,
                    help='configuration names to write (default: all)')
    args = ap.parse_args()

    torch.set_default_dtype(torch.float32)
    torch.set_num_threads(1)
    check_parameter_counts()
    print('parameter-count checks passed (2217831, 2948567)')

    os.makedirs(args.out, exist_ok=True)
    for cfg in CONFIGS:
        if args.only and cfg['name'] not in args.only:
            continue
        fixture, st = make_fixture(cfg)
        text = _encode(fixture) + '\n'
        json.loads(text)  # must be valid JSON
        path = os.path.join(args.out, cfg['name'] + '.json')
        with open(path, 'w') as f:
            f.write(text)
        size_kb = len(text.encode()) / 1024.0
        print(f"{cfg['name']:12s} params={st['params']:>9d} "
              f"tensors={len(fixture['parameters']):>3d} "
              f"loss={st['loss']:.9g} (float64 {st['loss64']:.9g}) "
              f"output max|f32-f64|={st['out_diff']:.2g} "
              f"exact-zero grads={st['exact_zero']} "
              f"size={size_kb:.1f} KB -> {os.path.relpath(path)}")

if __name__ == '__main__':
    main()
