"""PyTorch eager reference for `cargo xtask bench`: seconds per SGD training step.

Builds the same small-image networks as deepskip-models (crates/models/src/blueprint.rs and
docs/architectures.md): a 3x3 conv + BN + ReLU stem, three stages of basic blocks (PlainNet,
ResNet; widths 16/32/64, option-A zero-pad shortcuts) or grouped bottlenecks (ResNeXt;
cardinality 4 x 8, outputs 64/128/256, projection shortcuts), global average pooling and a
linear classifier; He normal (fan-out) conv weights, no conv bias, BN weight 1 and bias 0,
PyTorch's default Linear init. A step is: zero_grad, forward (train mode), cross-entropy,
backward, torch.optim.SGD(lr 0.1, momentum 0.9, weight decay 5e-4 on every parameter).
Takes the arguments of `deepskip-bench train-step` and prints the same JSON keys.
"""

import argparse
import json
import math
import os
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

AMP_LOSS_SCALE = 1024.0


def scale(channels, multiplier):
    # Rust's f64::round: half away from zero (Python's round() is half to even).
    return max(1, int(math.floor(channels * multiplier + 0.5)))


class ConvBn(nn.Module):
    def __init__(self, c_in, c_out, kernel, stride, groups=1):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(c_out)
        nn.init.kaiming_normal_(self.conv.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        return self.bn(self.conv(x))


class Shortcut(nn.Module):
    """None (plain), identity, option A (subsample + zero channels) or a projection."""

    def __init__(self, kind, c_in, c_out, stride):
        super().__init__()
        self.kind, self.stride, self.extra = kind, stride, c_out - c_in
        self.proj = ConvBn(c_in, c_out, 1, stride) if kind == "projection" else None

    def forward(self, main, x):
        if self.kind == "none":
            return main
        if self.kind == "identity":
            return main + x
        if self.kind == "zeropad":
            sub = x[:, :, :: self.stride, :: self.stride] if self.stride > 1 else x
            return main + F.pad(sub, (0, 0, 0, 0, 0, self.extra))
        return main + self.proj(x)


class BasicBlock(nn.Module):
    def __init__(self, c_in, c_out, stride, shortcut):
        super().__init__()
        self.conv1 = ConvBn(c_in, c_out, 3, stride)
        self.conv2 = ConvBn(c_out, c_out, 3, 1)
        self.shortcut = shortcut

    def forward(self, x):
        h = F.relu(self.conv1(x))
        return F.relu(self.shortcut(self.conv2(h), x))


class Bottleneck(nn.Module):
    def __init__(self, c_in, width, c_out, stride, groups, shortcut):
        super().__init__()
        self.conv1 = ConvBn(c_in, width, 1, 1)
        self.conv2 = ConvBn(width, width, 3, stride, groups)
        self.conv3 = ConvBn(width, c_out, 1, 1)
        self.shortcut = shortcut

    def forward(self, x):
        h = F.relu(self.conv1(x))
        h = F.relu(self.conv2(h))
        return F.relu(self.shortcut(self.conv3(h), x))


def shortcut_kind(has_shortcuts, option, c_in, c_out, stride):
    if not has_shortcuts:
        return "none"
    if c_in == c_out and stride == 1:
        return "identity"
    if option == "A" and c_out >= c_in:
        return "zeropad"
    return "projection"


class Network(nn.Module):
    def __init__(self, model, width, classes=10, in_channels=3):
        super().__init__()
        family, depth = model.lower().rsplit("-", 1)
        depth = int(depth)
        grouped = family in ("resnext", "plainnext")
        has_shortcuts = family in ("resnet", "resnext")
        if family not in ("plainnet", "resnet", "resnext", "plainnext"):
            raise SystemExit(f"unknown model {model}: expected plainnet|resnet|resnext|plainnext-<depth>")
        per_block = 9 if grouped else 6
        if (depth - 2) % per_block or depth < per_block + 2:
            raise SystemExit(f"{model}: small-image depth must be {per_block}n+2")
        blocks = (depth - 2) // per_block
        cardinality, option = (4, "B") if grouped else (1, "A")
        stem_out = scale(64, width) if grouped else scale(16, width)
        self.stem = ConvBn(in_channels, stem_out, 3, 1)
        layers, c_in = [], stem_out
        for s in range(3):
            if grouped:
                mid, c_out = cardinality * scale(8 << s, width), scale(64 << s, width)
            else:
                mid, c_out = None, scale(16 << s, width)
            for b in range(blocks):
                stride = 2 if s > 0 and b == 0 else 1
                sc = Shortcut(shortcut_kind(has_shortcuts, option, c_in, c_out, stride), c_in, c_out, stride)
                if grouped:
                    layers.append(Bottleneck(c_in, mid, c_out, stride, cardinality, sc))
                else:
                    layers.append(BasicBlock(c_in, c_out, stride, sc))
                c_in = c_out
        self.blocks = nn.Sequential(*layers)
        self.fc = nn.Linear(c_in, classes)

    def forward(self, x):
        h = self.blocks(F.relu(self.stem(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(h, 1), 1))


def heap_setting():
    """How glibc malloc is configured: PyTorch leaves it alone, so only the environment can."""
    for name in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_"):
        if name in os.environ:
            return f"malloc as configured by {name}"
    if "glibc.malloc." in os.environ.get("GLIBC_TUNABLES", ""):
        return "malloc as configured by GLIBC_TUNABLES"
    return "allocator defaults"


class PhaseClock:
    """Seconds since the last lap, CUDA synchronised first (as deepskip-bench's PhaseClock)."""

    def __init__(self, device):
        self.device, self.last = device, time.perf_counter()

    def lap(self):
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        now = time.perf_counter()
        seconds, self.last = now - self.last, now
        return seconds


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model", required=True)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--width", type=float, default=0.25)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--precision", default="fp32", choices=["fp32", "fp16", "bf16"],
                   help="fp16: CUDA autocast with a constant loss scale; bf16: the network "
                        "and the images in bf16 (as deepskip-bench, which cannot autocast "
                        "to bf16)")
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    if a.precision == "fp16" and a.device != "cuda":
        p.error("--precision fp16 is CUDA autocast: use --device cuda, or fp32 / bf16")
    autocast = a.precision == "fp16"
    dtype = torch.bfloat16 if a.precision == "bf16" else torch.float32
    layout = torch.channels_last if a.channels_last else torch.contiguous_format

    torch.manual_seed(a.seed)
    device = torch.device(a.device)
    # The same convolution autotuning as deepskip's side (and its trainer) on CUDA.
    torch.backends.cudnn.benchmark = device.type == "cuda"
    net = Network(a.model, a.width).to(device=device, dtype=dtype, memory_format=layout)
    params = sum(t.numel() for t in net.parameters() if t.requires_grad)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    images = torch.randn(a.batch, 3, 32, 32, device=device, dtype=dtype).to(
        memory_format=layout)
    labels = torch.randint(0, 10, (a.batch,), device=device)
    loss_scale = AMP_LOSS_SCALE if autocast else 1.0
    net.train()
    step_seconds = []
    phases = {"forward": [], "backward": [], "update": []}
    for step in range(a.warmup + a.steps):
        # The step has its own clock, so the test can check that the phases account for it.
        step_started = time.perf_counter()
        clock = PhaseClock(device)
        opt.zero_grad()
        with torch.autocast(device_type=a.device, enabled=autocast):
            loss = F.cross_entropy(net(images).float(), labels)
        forward = clock.lap()
        (loss * loss_scale).backward()
        backward = clock.lap()
        if autocast:
            # One fused call, as deepskip's flat-buffer update unscales in one operation.
            torch._foreach_div_([t.grad for t in net.parameters() if t.grad is not None],
                                loss_scale)
        opt.step()
        update = clock.lap()
        if step >= a.warmup:
            step_seconds.append(time.perf_counter() - step_started)
            for name, seconds in zip(phases, (forward, backward, update)):
                phases[name].append(seconds)
    print(json.dumps({
        "side": "pytorch",
        "model": a.model,
        "params": params,
        "batch": a.batch,
        "width": a.width,
        "device": a.device,
        "precision": a.precision,
        "channels_last": a.channels_last,
        "threads": torch.get_num_threads(),
        "torch_version": torch.__version__,
        "step_seconds": step_seconds,
        "phase_seconds": phases,
        "heap": heap_setting(),
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }))


if __name__ == "__main__":
    main()
