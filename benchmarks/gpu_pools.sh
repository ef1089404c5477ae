#!/usr/bin/env bash
# Issue 24's pool-placement study on the lent GPU: the three 5 + 1 cells of benchmarks/pools.csv (two
# FashionMNIST, one MNIST), seeds 0-2, the fast profile with its one pool after the last convolution
# (last, the reference's) and after conv 2 (spread, the profile's). Accuracy only: both placements run
# on one device, so the comparison is fair; their CPU cost per step comes from benchmarks/cells.py.
# Prepare with benchmarks/gpu_pack.sh; device call: carry [".gpu"], command "bash benchmarks/gpu_pools.sh".
set -uo pipefail
out=${OUT:-/tmp/gpu-pools-out}; mkdir -p "$out"
source benchmarks/gpu_unpack.sh
for pools in last spread; do
  python3 -m variantlab sweep benchmarks/pools.csv --seeds 3 --gpus-per-run 0.125 --cpus-per-run 2 \
    --set cnn_pools=$pools --data-dir "$data" --out "$runs/$pools" 2>&1 | grep -v "━"
  [[ ${PIPESTATUS[0]} == 0 ]] || exit
  cp "$runs/$pools/class_summary.csv" "$out/pools-$pools.csv"
done
python3 - "$runs" <<'PY' | tee "$out/pools.txt"
import json, pathlib, sys
print("placement variant seed CNN AE_classifier")
for placement in ("last", "spread"):
    for f in sorted(pathlib.Path(sys.argv[1], placement).glob("variants/*/results.json")):
        r = json.loads(f.read_text())
        print(placement, f.parent.name.split("-fast-seed")[0], r["seed"],
              f"{100 * r['cnn']['test_accuracy']:.2f} {100 * r['ae_classifier']['test_accuracy']:.2f}")
PY
