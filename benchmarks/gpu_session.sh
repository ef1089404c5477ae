#!/usr/bin/env bash
# One device-machine session (see /work/.library/device/METHOD.md): the CUDA path end to end, the
# fast profile over 3 seeds with wall times, the ablations, and the faithful reproduction.
# Run from the repository root on the GPU machine: bash benchmarks/gpu_session.sh DATA_DIR OUT_DIR
set -uo pipefail
data=$1; out=$2; runs=/tmp/variantlab-runs
export PYTHONPATH=$PWD/src PYTHONUNBUFFERED=1 VARIANTLAB_OFFLINE=1
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
python -c "import torch; print('torch', torch.__version__)"
student=(--dob 18/03/02 --roll B20AI052 --program btech --first Ayush --last Abrol --device cuda --data-dir "$data")
for seed in 0 1 2; do
  TIMEFORMAT="fast seed $seed wall %R s"
  time { python -m variantlab run "${student[@]}" --seed $seed --out "$runs/fast-$seed" 2>&1 | grep -v "━"; }
  cp "$runs/fast-$seed/results.json" "$out/fast-$seed.json"
done
python benchmarks/ablation.py --model cnn --seeds 2 --device cuda --data-dir "$data" --jsonl "$out/ablation.jsonl"
python benchmarks/ablation.py --model ae_classifier --seeds 2 --device cuda --data-dir "$data" --jsonl "$out/ablation.jsonl"
TIMEFORMAT="faithful wall %R s"
time { python -m variantlab run "${student[@]}" --profile faithful --seed 0 --out "$runs/faithful-0" 2>&1 | grep -v "━"; }
cp "$runs/faithful-0/results.json" "$out/faithful-0.json"
cp "$runs/faithful-0/report.html" "$out/faithful-0-report.html"
