"""Deterministic numbers shared by the PyTorch reference and the Swift tests.

A splitmix64 stream: ``state`` starts at a uint64 seed; for each value

    state = (state + 0x9E3779B97F4A7C15) mod 2^64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) mod 2^64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) mod 2^64
    z = z ^ (z >> 31)
    u = float32((z >> 40) / 16777216.0)          # in [0, 1), exact in float32

Parameter tensor k (0-based, in ``net.parameters()`` order) is filled in its
flat row-major order from the stream with seed 1000 + k:

    conv weight / conv bias : (2u - 1) * b,  b = 1 / sqrt(fan_in),
                              fan_in = in_channels * kh * kw
    BatchNorm weight (gamma): 0.5 + u
    BatchNorm bias (beta)   : 0.1 * (2u - 1)

Each formula is evaluated in float64 and the result rounded to float32.
The input z (1 x Cin x H x W) is 0.1 * u from seed 1; the target
(1 x Cout x H x W) is u from seed 2 (same float64 -> float32 rule).
"""

import math

import numpy as np
import torch
import torch.nn as nn

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)

PARAM_SEED_BASE = 1000
INPUT_SEED = 1
TARGET_SEED = 2


def splitmix64_uniform(seed, count):
    """The first ``count`` values u of the stream with ``seed`` (float32)."""
    if count == 0:
        return np.zeros(0, dtype=np.float32)
    seed = np.uint64(seed % (1 << 64))
    steps = np.arange(1, count + 1, dtype=np.uint64)
    with np.errstate(over='ignore'):
        z = seed + steps * _GAMMA          # state after i increments (wraps)
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        z = z ^ (z >> np.uint64(31))
    u = (z >> np.uint64(40)).astype(np.float64) / 16777216.0
    return u.astype(np.float32)


def uniform_tensor(seed, shape, scale=1.0):
    """``scale * u`` as a float32 tensor of ``shape`` (row-major fill)."""
    n = int(np.prod(shape)) if len(shape) else 1
    u = splitmix64_uniform(seed, n).astype(np.float64)
    return torch.from_numpy((scale * u).astype(np.float32).reshape(shape))


def _owners(net):
    """Map id(parameter) -> (owning module, attribute name)."""
    owners = {}
    for module in net.modules():
        for attr, p in module.named_parameters(recurse=False):
            owners[id(p)] = (module, attr)
    return owners


def parameter_values(module, attr, shape, seed):
    """float32 numpy array for one parameter tensor per the rule above."""
    n = int(np.prod(shape))
    u = splitmix64_uniform(seed, n).astype(np.float64)
    if isinstance(module, nn.Conv2d):
        kh, kw = module.kernel_size
        fan_in = (module.in_channels // module.groups) * kh * kw
        b = 1.0 / math.sqrt(fan_in)
        vals = (2.0 * u - 1.0) * b
    elif isinstance(module, nn.BatchNorm2d):
        if attr == 'weight':
            vals = 0.5 + u
        elif attr == 'bias':
            vals = 0.1 * (2.0 * u - 1.0)
        else:
            raise ValueError(f'unexpected BatchNorm parameter {attr!r}')
    else:
        raise TypeError(f'no fixture rule for {type(module).__name__}.{attr}')
    return vals.astype(np.float32).reshape(shape)


@torch.no_grad()
def init_parameters(net, base_seed=PARAM_SEED_BASE):
    """Overwrite every parameter of ``net`` with the deterministic values."""
    owners = _owners(net)
    for k, p in enumerate(net.parameters()):
        module, attr = owners[id(p)]
        vals = parameter_values(module, attr, tuple(p.shape), base_seed + k)
        p.copy_(torch.from_numpy(vals))
    return net


def _self_check():
    # Known splitmix64 outputs for seed 0 (first three 64-bit words).
    seed = np.uint64(0)
    steps = np.arange(1, 4, dtype=np.uint64)
    with np.errstate(over='ignore'):
        z = seed + steps * _GAMMA
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        z = z ^ (z >> np.uint64(31))
    expected = [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]
    assert [int(v) for v in z] == expected, [hex(int(v)) for v in z]


_self_check()
