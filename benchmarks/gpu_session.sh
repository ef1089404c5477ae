#!/usr/bin/env bash
# One device-machine session (see /work/.library/device/METHOD.md) for issue 6's GPU target: the
# whole `variantlab run` with the fast profile over 3 seeds with wall times, then the time-to-accuracy,
# throughput and layout benchmarks on CUDA. (The first session's ablations and faithful run are in docs/.)
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
python benchmarks/time_to_accuracy.py --device cuda --data-dir "$data"
python benchmarks/throughput.py --device cuda --data-dir "$data"
python benchmarks/layouts.py --device cuda
