#!/usr/bin/env python3
"""PyTorch CPU baseline: seconds per DIP training iteration.

    python3 Benchmarks/torch_iteration.py --size 256 512 --threads 2 \
        --iterations 3 [--json] [--bf16]

Builds the denoising preset skip(32, 3, [128]*5, [128]*5, [4]*5, reflection
padding, bilinear upsampling) with PyTorch's default initialisation, input
0.1 * U[0,1) of shape 1x32xSxS and a random U[0,1) target, and times full
training iterations (zero_grad, forward, MSE loss, backward, Adam lr 0.01
step) after one warm-up iteration. With --bf16 the forward pass and loss
run under torch.autocast('cpu', dtype=torch.bfloat16) (weights and Adam
stay fp32, as in the engine's bf16 mode). Each size runs in a fresh subprocess so
that the peak resident memory (ru_maxrss of that process) belongs to that
size alone.

Output: one line per size; with --json one JSON object per line:
{"size", "threads", "seconds_min", "seconds_median", "peak_rss_mb",
 "torch_version", "precision"}. The 1-minute load average before and after each size is
printed on stderr (the figures are only meaningful on an idle machine).
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.normpath(os.path.join(HERE, '..', 'Tests', 'TorchReference'))


def child(size, threads, iterations, seed, bf16=False):
    import torch
    import torch.nn as nn
    sys.path.insert(0, REFERENCE)
    from skip_net import denoise_net

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    net = denoise_net(input_depth=32, n_channels=3, pad='reflection',
                      upsample_mode='bilinear')
    net.train()
    z = torch.rand(1, 32, size, size) * 0.1
    target = torch.rand(1, 3, size, size)
    loss_fn = nn.MSELoss()
    opt = torch.optim.Adam(net.parameters(), lr=0.01)

    def step():
        opt.zero_grad()
        if bf16:
            with torch.autocast('cpu', dtype=torch.bfloat16):
                out = net(z)
            loss = loss_fn(out.float(), target)
        else:
            loss = loss_fn(net(z), target)
        loss.backward()
        opt.step()
        return loss.item()

    step()  # warm-up
    times = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)

    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux (before the SGEMM below)

    # The machine's SGEMM rate as PyTorch reaches it, on the same threads: 2048³, best of 5.
    a, b = torch.rand(2048, 2048), torch.rand(2048, 2048)
    torch.mm(a, b)
    best = float('inf')
    for _ in range(5):
        t0 = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - t0)
    result = {
        'sgemm_gflops': round(2 * 2048 ** 3 / best / 1e9, 1),
        'size': size,
        'threads': threads,
        'seconds_min': round(min(times), 4),
        'seconds_median': round(statistics.median(times), 4),
        'peak_rss_mb': round(peak_kb / 1024.0, 1),
        'torch_version': torch.__version__,
        'precision': 'bf16-autocast' if bf16 else 'fp32',
    }
    print(json.dumps(result), flush=True)


def main():
    ap = argparse.ArgumentParser(description='PyTorch DIP iteration timing')
    ap.add_argument('--size', type=int, nargs='+', default=[256])
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--iterations', type=int, default=3)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--json', action='store_true')
    ap.add_argument('--bf16', action='store_true', help='bf16 autocast for the forward pass')
    ap.add_argument('--child', action='store_true', help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:
        child(args.size[0], args.threads, args.iterations, args.seed, args.bf16)
        return

    for size in args.size:
        load_before = os.getloadavg()[0]
        cmd = [sys.executable, os.path.abspath(__file__), '--child',
               '--size', str(size), '--threads', str(args.threads),
               '--iterations', str(args.iterations), '--seed', str(args.seed)]
        if args.bf16:
            cmd.append('--bf16')
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
        load_after = os.getloadavg()[0]
        if proc.returncode != 0:
            sys.exit(f'size {size}: benchmark process failed '
                     f'(exit {proc.returncode})')
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f'size {size}: load average (1 min) before {load_before:.2f}, '
              f'after {load_after:.2f}', file=sys.stderr)
        if args.json:
            print(json.dumps(result), flush=True)
        else:
            print(f"size {size}x{size}, {result['threads']} threads, "
                  f"torch {result['torch_version']} {result['precision']}: "
                  f"{result['seconds_min']:.3f} s/iter min, "
                  f"{result['seconds_median']:.3f} s/iter median, "
                  f"peak RSS {result['peak_rss_mb']:.0f} MB, "
                  f"torch.mm SGEMM 2048³ {result['sgemm_gflops']:.0f} GFLOP/s", flush=True)


if __name__ == '__main__':
    main()
