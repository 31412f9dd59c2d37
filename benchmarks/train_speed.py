"""How fast is our training loop? Compared with the GEMM-bound limit and the usual DataLoader loop.

    MNIST_ROOT=/path/to/data python benchmarks/train_speed.py

Measures, in one process, on the reference config (784-1000-10 MLP, batch 128, 60,000 images):
  (a) epoch_s: median time of one epoch of our loop (`helpers.loop.fit` running notebook 04's
      `train_epoch`), data resident in memory as one tensor, served by `batch_loader`;
  (b) limit_s: the epoch's matmul FLOPs divided by the fp32 GEMM throughput measured right then on
      a 2048^3 matmul: no loop on this machine can beat the time the matmuls alone need;
  (c) dataloader_s: the typical torchvision loop, `MNIST(transform=ToTensor())` + `DataLoader(
      batch_size=128, shuffle=True)`, same model and optimizer, timed on a fraction of an epoch and
      scaled to the full one.
The three are interleaved round by round and summarised by medians: shared machines have stall
episodes (10-60 s of 10-25x slower steps) that would spoil any single measurement.
Then it measures the peak memory (RSS) of `python -m helpers.train` against `import torch` alone.

Each round also times one epoch of notebook 04's `train_epoch` called directly, without `fit`, to show what
`fit` costs around it (its bookkeeping and callbacks).
The last line is: epoch_s=<a> limit_s=<b> vs_limit=<a/b> dataloader_s=<c> speedup=<c/a> fit_overhead=<a/plain - 1>
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

from helpers.cli import describe_machine
from helpers.config import Config
from helpers.data import batch_loader, load_mnist, mnist_root
from helpers.loop import default_device, fit, train_epoch
from helpers.model import build, make_optimizer

GEMM_SIZE = 2048  # the square matmul whose speed stands for "what this machine can do"


def matmul_flops_per_sample(num_inputs: int, hidden: int, num_outputs: int) -> int:
    """Multiply-adds x 2 of one training sample's matmuls, from the layer shapes."""
    forward = 2 * (num_inputs * hidden + hidden * num_outputs)  # x @ W1.T and h @ W2.T
    weight_grads = forward  # dL/dW1 = g1.T @ x and dL/dW2 = g2.T @ h: the same shapes again
    hidden_grad = 2 * hidden * num_outputs  # dL/dh = g2 @ W2; no dL/dx: the input needs no gradient
    return forward + weight_grads + hidden_grad


def counted_flops_per_sample(config: Config, device) -> float:
    """The same number as torch counts it (FlopCounterMode) on one real training step."""
    from torch.utils.flop_counter import FlopCounterMode

    model = build(config, device=device)
    optimizer = make_optimizer(model, config)
    images = torch.rand(config.batch_size, 784, device=device)
    labels = torch.randint(0, 10, (config.batch_size,), device=device)
    with FlopCounterMode(display=False) as counter:
        loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return counter.get_total_flops() / config.batch_size


def sync(device):
    """Wait for the GPU to finish queued work, so that the clock measures it (no-op on the CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize()


def gemm_gflops(device, repeats=3) -> float:
    """fp32 GFLOP/s of a GEMM_SIZE^3 matmul right now (median of `repeats`, after one warm-up)."""
    a = torch.randn(GEMM_SIZE, GEMM_SIZE, device=device)
    b = torch.randn(GEMM_SIZE, GEMM_SIZE, device=device)
    seconds = []
    for i in range(repeats + 1):
        sync(device)
        start = time.perf_counter()
        a @ b
        sync(device)
        if i > 0:  # the first one warms caches and thread pools
            seconds.append(time.perf_counter() - start)
    return 2 * GEMM_SIZE**3 / statistics.median(seconds) / 1e9


def plain_epoch(model, optimizer, loader, config, device) -> float:
    """Seconds for one epoch of `train_epoch` alone, as notebook 04 calls it by hand."""
    sync(device)
    start = time.perf_counter()
    train_epoch(model, loader, optimizer, l2=config.l2)
    sync(device)
    return time.perf_counter() - start


def our_epoch(model, optimizer, loader, config, device) -> float:
    """Seconds for one epoch of `fit`: shuffle, batches, forward, backward, DL4J's l2, optimizer (no evaluation)."""
    sync(device)
    start = time.perf_counter()
    fit(model, optimizer, loader, epochs=1, l2=config.l2, progress=False)
    sync(device)
    return time.perf_counter() - start


def dataloader_epoch(model, optimizer, loader, num_batches, device) -> float:
    """Seconds for `num_batches` steps of the typical DataLoader loop, scaled to the full epoch."""
    sync(device)
    start = time.perf_counter()
    running_loss = 0.0
    for i, (images, labels) in enumerate(loader):  # a new shuffled pass each call
        if i == num_batches:
            break
        images, labels = images.to(device).view(-1, 784), labels.to(device)  # [B, 1, 28, 28] -> [B, 784]
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()  # as the usual tutorials do: one sync per step
    sync(device)
    return (time.perf_counter() - start) * len(loader) / num_batches


# Runs argv[1:] and prints its peak RSS in KiB. It runs in a small Python process of its own because
# Linux counts the memory of the process that forked a child into the child's peak: a child forked
# straight from this benchmark (over 1 GB with the data loaded) would report at least that much.
_MEASURE = (
    "import resource, subprocess, sys; status = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode; "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(status)"
)


def peak_rss_mib(command) -> float:
    """Peak resident memory (MiB) of `command` run in a child process, from the kernel's accounting."""
    done = subprocess.run([sys.executable, "-c", _MEASURE, *command], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed with status {done.returncode}:\n{done.stderr}")
    return int(done.stdout) / 1024  # Linux reports KiB


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--rounds", type=int, default=5, help="interleaved rounds, each one measurement of (a), (b), (c) (default 5)"
    )
    parser.add_argument(
        "--dataloader-batches", type=int, default=100, help="DataLoader steps timed per round (default 100 of 469)"
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory measurement (~40 s)")
    parser.add_argument(
        "--data-root", metavar="PATH", help="folder holding MNIST/raw/ (default: $MNIST_ROOT, else data/)"
    )
    args = parser.parse_args(argv)

    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    config = Config()  # the reference: DL4J's settings
    device = default_device()
    print(f"Measured on: {describe_machine()}")
    waiting = {name: os.environ.get(name, "unset") for name in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    print(
        "OpenMP waiting: "
        + ", ".join(f"{k}={v}" for k, v in waiting.items())
        + " (PASSIVE costs ~40% on an idle machine)"
    )
    print(f"Load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min)")

    per_sample = matmul_flops_per_sample(784, config.hidden, 10)
    counted = counted_flops_per_sample(config, device)
    epoch_flops = per_sample * config.train_images
    print(
        f"Matmul FLOPs per sample from the shapes: forward 2*(784*1000 + 1000*10) = {2 * (784 * 1000 + 1000 * 10):,}, "
        f"weight gradients the same again, hidden-activation gradient 2*1000*10 = {2 * 1000 * 10:,}, "
        f"no input gradient: {per_sample:,} per sample"
    )
    print(f"  torch.utils.flop_counter.FlopCounterMode on one training step: {counted:,.0f} per sample")
    print(f"  x {config.train_images:,} images = {epoch_flops / 1e9:.1f} GFLOP per epoch")

    train_set, _ = load_mnist(args.data_root, normalize=config.normalize, device=device)
    model = build(config, device=device)
    optimizer = make_optimizer(model, config)
    ours_loader = batch_loader(train_set, config.batch_size, generator=torch.Generator().manual_seed(config.seed))

    dataset = datasets.MNIST(mnist_root(args.data_root), train=True, transform=transforms.ToTensor(), download=False)
    loader = DataLoader(dataset, batch_size=config.batch_size, shuffle=True)
    dl_model = build(config, device=device)
    dl_optimizer = make_optimizer(dl_model, config)
    print(
        f"DataLoader loop: timed on the first {args.dataloader_batches} of its {len(loader)} batches in each round, "
        f"scaled by {len(loader)}/{args.dataloader_batches} to the full epoch"
    )

    # warm-up, not counted: first calls allocate buffers and start the thread pools
    gemm_gflops(device)
    our_epoch(model, optimizer, ours_loader, config, device)
    dataloader_epoch(dl_model, dl_optimizer, loader, 10, device)

    ours, limits, gflops, loaders, plain = [], [], [], [], []
    print(f"{args.rounds} interleaved rounds:")
    for r in range(args.rounds):
        gflops.append(gemm_gflops(device))
        limits.append(epoch_flops / (gflops[-1] * 1e9))
        ours.append(our_epoch(model, optimizer, ours_loader, config, device))
        plain.append(plain_epoch(model, optimizer, ours_loader, config, device))
        loaders.append(dataloader_epoch(dl_model, dl_optimizer, loader, args.dataloader_batches, device))
        print(
            f"  round {r + 1}: GEMM {gflops[-1]:6.1f} GFLOP/s -> limit {limits[-1]:.3f} s | "
            f"our epoch {ours[-1]:.3f} s ({ours[-1] / limits[-1]:.2f}x limit) | DataLoader epoch {loaders[-1]:.2f} s",
            flush=True,
        )
    epoch_s, gemm = statistics.median(ours), statistics.median(gflops)
    limit_s, dataloader_s = epoch_flops / (gemm * 1e9), statistics.median(loaders)
    print(
        f"Medians: GEMM {gemm:.1f} GFLOP/s, our epoch {epoch_s:.3f} s (min {min(ours):.3f}), DataLoader epoch {dataloader_s:.2f} s"
    )
    print(f"Load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    if not args.no_memory:
        torch_mib = peak_rss_mib([sys.executable, "-c", "import torch"])
        command = [sys.executable, "-m", "helpers.train", "--epochs", "1", "--no-progress"]
        if args.data_root:
            command += ["--data-root", args.data_root]
        train_mib = peak_rss_mib(command)
        extra = train_mib - torch_mib
        print(
            f"Peak memory (RSS): `import torch` {torch_mib:.0f} MiB, `python -m helpers.train --epochs 1` {train_mib:.0f} MiB: "
            f"{extra:.0f} MiB more ({'meets' if extra <= 450 else 'misses'} the goal of <= ~450)"
        )

    print(
        f"epoch_s={epoch_s:.3f} limit_s={limit_s:.3f} vs_limit={epoch_s / limit_s:.2f} "
        f"fit_overhead={epoch_s / statistics.median(plain) - 1:+.1%} "
        f"dataloader_s={dataloader_s:.2f} speedup={dataloader_s / epoch_s:.1f}"
    )


if __name__ == "__main__":
    main()
