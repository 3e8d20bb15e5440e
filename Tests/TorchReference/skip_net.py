"""PyTorch re-implementation of the Deep Image Prior ``skip`` encoder-decoder.

Written from the dipd reference spec (sections 1-2), not from the original
code. It is the ground truth the Swift engine is tested against, so the
module nesting and registration order follow the spec exactly: the order of
``net.parameters()`` (and the state-dict names) is the reference order.

Per level i (cin_i input channels, resolution H_i):

    s = conv(cin_i -> skip[i], filter_skip_size) -> BN -> LReLU      (if skip[i] > 0)
    d = conv(cin_i -> down[i], fdown[i], stride 2) -> BN -> LReLU
    d = conv(down[i] -> down[i], fdown[i]) -> BN -> LReLU
    d = level_{i+1}(d)                                                (if i < n-1)
    d = Upsample x2 (upsample_mode[i])
    y = Concat([s, d]) (centre crop to the smaller size)  or d
    y = BN(y)
    y = conv(-> up[i], fup[i]) -> BN -> LReLU
    y = conv1x1(up[i] -> up[i]) -> BN -> LReLU                        (if need1x1_up)

    net(z) = [Sigmoid] (conv1x1(up[0] -> n_out)(level_0(z)))
"""

import torch
import torch.nn as nn


class Concat(nn.Module):
    """Concatenates the outputs of its branches along ``dim``.

    When spatial sizes differ, every output is centre-cropped to the minimum
    height and width (offset = (size - min) // 2).
    """

    def __init__(self, dim, *branches):
        super().__init__()
        self.dim = dim
        for idx, branch in enumerate(branches):
            self.add_module(str(idx), branch)

    def forward(self, x):
        outs = [branch(x) for branch in self._modules.values()]
        h = min(o.shape[2] for o in outs)
        w = min(o.shape[3] for o in outs)
        cropped = []
        for o in outs:
            dh = (o.shape[2] - h) // 2
            dw = (o.shape[3] - w) // 2
            cropped.append(o[:, :, dh:dh + h, dw:dw + w])
        return torch.cat(cropped, dim=self.dim)


def act(act_fun='LeakyReLU'):
    if act_fun == 'LeakyReLU':
        return nn.LeakyReLU(0.2, inplace=False)
    if act_fun == 'ReLU':
        return nn.ReLU()
    if act_fun == 'ELU':
        return nn.ELU()
    if act_fun == 'none':
        return nn.Identity()
    raise ValueError(f'unknown activation {act_fun!r}')


def bn(num_features):
    return nn.BatchNorm2d(num_features)


def conv(in_f, out_f, kernel_size, stride=1, bias=True, pad='zero',
         downsample_mode='stride'):
    """[ReflectionPad2d] + Conv2d + [pooling], as one nn.Sequential."""
    layers = []
    pool = None
    if stride != 1 and downsample_mode != 'stride':
        if downsample_mode == 'avg':
            pool = nn.AvgPool2d(2, 2)
        elif downsample_mode == 'max':
            pool = nn.MaxPool2d(2, 2)
        else:
            raise ValueError(f'unsupported downsample mode {downsample_mode!r}')
        stride = 1

    to_pad = (kernel_size - 1) // 2
    if pad == 'reflection':
        layers.append(nn.ReflectionPad2d(to_pad))
        to_pad = 0
    elif pad != 'zero':
        raise ValueError(f'unknown pad {pad!r}')

    layers.append(nn.Conv2d(in_f, out_f, kernel_size, stride, padding=to_pad,
                            bias=bias))
    if pool is not None:
        layers.append(pool)
    return nn.Sequential(*layers)


def _per_level(value, n, what):
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f'{what}: expected {n} entries, got {len(value)}')
        return list(value)
    return [value] * n


def skip(num_input_channels=2, num_output_channels=3,
         num_channels_down=(16, 32, 64, 128, 128),
         num_channels_up=(16, 32, 64, 128, 128),
         num_channels_skip=(4, 4, 4, 4, 4),
         filter_size_down=3, filter_size_up=3, filter_skip_size=1,
         need_sigmoid=True, need_bias=True,
         pad='zero', upsample_mode='nearest', downsample_mode='stride',
         act_fun='LeakyReLU', need1x1_up=True):
    down = list(num_channels_down)
    up = list(num_channels_up)
    skp = list(num_channels_skip)
    n = len(down)
    if not (len(up) == n and len(skp) == n):
        raise ValueError('channel lists must have the same length')

    upsample_mode = _per_level(upsample_mode, n, 'upsample_mode')
    downsample_mode = _per_level(downsample_mode, n, 'downsample_mode')
    filter_size_down = _per_level(filter_size_down, n, 'filter_size_down')
    filter_size_up = _per_level(filter_size_up, n, 'filter_size_up')

    model = nn.Sequential()
    level = model  # the Sequential that receives level i's modules
    cin = num_input_channels
    for i in range(n):
        last = i == n - 1
        deeper = nn.Sequential()
        skip_branch = nn.Sequential()

        if skp[i] != 0:
            level.append(Concat(1, skip_branch, deeper))
        else:
            level.append(deeper)
        k = down[i] if last else up[i + 1]
        level.append(bn(skp[i] + k))

        if skp[i] != 0:
            skip_branch.append(conv(cin, skp[i], filter_skip_size, bias=need_bias,
                                    pad=pad))
            skip_branch.append(bn(skp[i]))
            skip_branch.append(act(act_fun))

        deeper.append(conv(cin, down[i], filter_size_down[i], 2, bias=need_bias,
                           pad=pad, downsample_mode=downsample_mode[i]))
        deeper.append(bn(down[i]))
        deeper.append(act(act_fun))
        deeper.append(conv(down[i], down[i], filter_size_down[i], bias=need_bias,
                           pad=pad))
        deeper.append(bn(down[i]))
        deeper.append(act(act_fun))

        next_level = nn.Sequential()
        if not last:
            # Registered now, filled by the next loop iteration: its
            # parameters therefore come right after this level's down convs.
            deeper.append(next_level)
        if upsample_mode[i] == 'nearest':
            deeper.append(nn.Upsample(scale_factor=2, mode='nearest'))
        elif upsample_mode[i] == 'bilinear':
            deeper.append(nn.Upsample(scale_factor=2, mode='bilinear',
                                      align_corners=False))
        else:
            raise ValueError(f'unsupported upsample mode {upsample_mode[i]!r}')

        level.append(conv(skp[i] + k, up[i], filter_size_up[i], bias=need_bias,
                          pad=pad))
        level.append(bn(up[i]))
        level.append(act(act_fun))
        if need1x1_up:
            level.append(conv(up[i], up[i], 1, bias=need_bias, pad=pad))
            level.append(bn(up[i]))
            level.append(act(act_fun))

        cin = down[i]
        level = next_level

    model.append(conv(up[0], num_output_channels, 1, bias=need_bias, pad=pad))
    if need_sigmoid:
        model.append(nn.Sigmoid())
    return model


def denoise_net(input_depth=32, n_channels=3, pad='reflection',
                upsample_mode='bilinear'):
    """The get_net('skip') preset used for denoising / super-resolution."""
    return skip(input_depth, n_channels,
                num_channels_down=[128] * 5,
                num_channels_up=[128] * 5,
                num_channels_skip=[4] * 5,
                filter_size_down=3, filter_size_up=3, filter_skip_size=1,
                need_sigmoid=True, need_bias=True, pad=pad,
                upsample_mode=upsample_mode, downsample_mode='stride',
                act_fun='LeakyReLU', need1x1_up=True)


def count_parameters(net):
    return sum(p.numel() for p in net.parameters())
