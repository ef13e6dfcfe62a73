#!/usr/bin/env bash
# The GPU check: run from the folder `cargo xtask gpu-check --out DIR` prepared, on a machine with
# PyTorch (torch 2.11.0) and no Rust toolchain. In about 8 minutes on one GPU it
#   1. records the driver and the GPU, and starts the carried binaries against this machine's
#      own torch libraries (found through `python3 -c 'import torch, os; ...'` and put first on
#      LD_LIBRARY_PATH, which wins over the build machine's path in the binaries' RUNPATH);
#   2. runs the CUDA-only tests (test functions `cuda_*`, with DEEPSKIP_REQUIRE_CUDA=1 so that
#      a missing GPU fails them instead of skipping);
#   3. trains ResNet-164 and PlainNet-164 on the carried MNIST for about a minute each, stops
#      each with SIGTERM (the trainer checkpoints; a background job of a script ignores
#      SIGINT), resumes it to the end and analyses it;
#   4. times training steps of PlainNet/ResNet/ResNeXt-164 at full width, batch 128, fp32 /
#      fp16 autocast / bf16, deepskip against PyTorch eager, alternating (xtask bench), with
#      what is left of the budget, fp32 first;
#   5. writes gpu-check.json and gpu-check.md (xtask gpu-report) into the results folder.
# Every step is timed and its exit code kept in steps.tsv; the script exits 1 if any failed.
#
# Usage: bash gpu-check.sh [--device cuda|cpu] [--tiny] [--out RESULTS]
#   --device cpu --tiny: the same steps at toy sizes on the CPU (CI runs this).
#   PYTHON=...: the Python with torch (default python3).
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
DEVICE=cuda
TINY=0
OUT="$HERE/results"
while [ $# -gt 0 ]; do
    case "$1" in
        --device) DEVICE=$2; shift 2 ;;
        --tiny) TINY=1; shift ;;
        --out) OUT=$2; shift 2 ;;
        *) echo "gpu-check.sh: unknown argument $1 (expected --device, --tiny, --out)" >&2; exit 2 ;;
    esac
done
PYTHON=${PYTHON:-python3}
# The whole check's budget; the bench gets what the earlier steps left of it.
BUDGET_S=${BUDGET_S:-480}
STARTED=$(date +%s)

# What an earlier run left is not mixed into this run's report.
rm -rf "$OUT/logs" "$OUT/runs" "$OUT/bench"
mkdir -p "$OUT/logs"
OUT=$(cd "$OUT" && pwd)
: > "$OUT/steps.tsv"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/deepskip-gpu-check.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# Seconds since START (a `date +%s.%N` value), one decimal (awk: bc is not everywhere).
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# step NAME SECONDS COMMAND...: runs COMMAND with a time limit, output to logs/NAME.log, and
# appends NAME, exit code and seconds to steps.tsv.
step() {
    local name=$1 limit=$2
    shift 2
    local start code
    start=$(date +%s.%N)
    echo "gpu-check: $name: $*" >&2
    timeout --kill-after=20 "$limit" "$@" > "$OUT/logs/$name.log" 2>&1
    code=$?
    printf '%s\t%s\t%s\n' "$name" "$code" "$(since "$start")" >> "$OUT/steps.tsv"
    [ "$code" -ne 0 ] && echo "gpu-check: $name failed ($code); see $OUT/logs/$name.log" >&2
    return "$code"
}

left() { echo $((BUDGET_S - ($(date +%s) - STARTED))); }

# --- unpack the carried binaries and libraries -------------------------------------------
for packed in $(cd "$HERE/payload" && find . -name '*.gz'); do
    target="$WORK/${packed%.gz}"
    mkdir -p "$(dirname "$target")"
    gzip -dc "$HERE/payload/$packed" > "$target"
    chmod +x "$target"
done
BIN="$WORK/bin"

# --- 1. the machine and the carried binaries ---------------------------------------------
TORCH_DIR=$("$PYTHON" -c 'import os, torch; print(os.path.dirname(torch.__file__))') || {
    echo "gpu-check: $PYTHON cannot import torch; set PYTHON" >&2
    exit 1
}
export LD_LIBRARY_PATH="$TORCH_DIR/lib:$WORK/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export DEEPSKIP_DATA_MIRROR="$HERE/data" DEEPSKIP_DATA_DIR="$WORK/datasets" DEEPSKIP_OFFLINE=1

if [ "$DEVICE" = cuda ]; then
    step driver 60 nvidia-smi
fi
step torch 120 "$PYTHON" -c 'import torch; c = torch.cuda.is_available(); print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version(), "gpu", torch.cuda.get_device_name(0) if c else None)'
step start-deepskip 120 "$BIN/deepskip" doctor
step start-bench 60 "$BIN/deepskip-bench" --version
if [ "$DEVICE" = cuda ] && ! grep -q "CUDA compiled in: yes" "$OUT/logs/start-deepskip.log"; then
    printf 'cuda-backend\t1\t0.0\n' >> "$OUT/steps.tsv"
fi

# --- 2. the CUDA-only tests ----------------------------------------------------------------
for test in "$WORK"/tests/*; do
    name=$(basename "$test" | sed 's/-[0-9a-f]*$//')
    if [ "$DEVICE" = cuda ]; then
        step "test-$name" 300 env DEEPSKIP_REQUIRE_CUDA=1 "$test" cuda_ --test-threads 1
    else
        step "test-$name" 300 "$test" cuda_ --test-threads 1
    fi
done

# --- 3. MNIST: train, interrupt, resume, analyse -----------------------------------------
if [ "$TINY" = 1 ]; then
    # One model: PlainNet-8 takes the same path, and CI time counts.
    TRAIN_MODELS="resnet-8"
    TRAIN_ARGS=(--epochs 2 --batch-size 16 --train-subset 8 --test-subset 4 --width-multiplier 0.25)
    ANALYSE_ARGS=(--samples 16)
else
    TRAIN_MODELS="resnet-164 plainnet-164"
    # 3 epochs of 150 steps of 128 images (about 58,000 images) per model.
    TRAIN_ARGS=(--epochs 3 --steps-per-epoch 150 --batch-size 128)
    ANALYSE_ARGS=(--samples 500)
fi
for model in $TRAIN_MODELS; do
    run="$OUT/runs/$model"
    rm -rf "$run"
    train=("$BIN/deepskip" train --model "$model" --dataset mnist --out "$run" --device "$DEVICE" "${TRAIN_ARGS[@]}")
    # Stop it after the first epoch's line (SIGTERM, as Ctrl-C): it checkpoints and exits 130.
    start=$(date +%s.%N)
    "${train[@]}" > "$OUT/logs/train-$model.log" 2>&1 &
    pid=$!
    while kill -0 "$pid" 2> /dev/null && ! [ -s "$run/metrics.jsonl" ]; do sleep 0.2; done
    kill -TERM "$pid" 2> /dev/null
    wait "$pid"
    code=$?
    # 130: stopped and checkpointed as asked; 0: it had finished before the signal came.
    case "$code" in
        130) printf '%s\t0\t%s\n' "train-$model-interrupted" "$(since "$start")" ;;
        0) printf '%s\t0\t%s\n' "train-$model-finished-before-interrupt" "$(since "$start")" ;;
        *) printf '%s\t%s\t%s\n' "train-$model-interrupted" "$code" "$(since "$start")" ;;
    esac >> "$OUT/steps.tsv"
    step "train-$model-resumed" 300 "${train[@]}" --resume
    step "analyse-$model" 300 "$BIN/deepskip" analyze --run "$run" --device "$DEVICE" "${ANALYSE_ARGS[@]}"
done

# --- 4. training step throughput against PyTorch eager -----------------------------------
# One precision at a time, fp32 first (the `gpu` profile is sized from it), each getting what
# is left of the budget.
if [ "$TINY" = 1 ]; then
    BENCH_MODELS="resnet-8"
    PRECISIONS="fp32,bf16"
    BENCH_ARGS=(--quick --pairs 1 --batch 4 --width 0.25)
else
    BENCH_MODELS="plainnet-164,resnet-164,resnext-164"
    PRECISIONS="fp32 fp16 bf16"
    BENCH_ARGS=(--pairs 2)
fi
for precisions in $PRECISIONS; do
    name="bench-${precisions//,/-}"
    budget=$(left)
    if [ "$budget" -lt 30 ]; then
        printf '%s\t%s\t%s\n' "$name" 124 0.0 >> "$OUT/steps.tsv"
        continue
    fi
    step "$name" "$budget" "$BIN/xtask" bench --driver "$BIN/deepskip-bench" \
        --python "$PYTHON" --reference-dir "$HERE/reference" --device "$DEVICE" --only train \
        --models "$BENCH_MODELS" --precisions "$precisions" --out "$OUT/bench/$name" \
        "${BENCH_ARGS[@]}"
done

# --- 5. one JSON, one markdown -------------------------------------------------------------
"$BIN/xtask" gpu-report --results "$OUT" --device "$DEVICE" || exit 1
cat "$OUT/gpu-check.md"
! cut -f2 "$OUT/steps.tsv" | grep -qv '^0$'
