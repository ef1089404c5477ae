#!/usr/bin/env bash
# One device-machine call (see /work/.library/device/METHOD.md) for issue 15's GPU item: the reference
# student's whole `variantlab run` on the GPU (target: 60 s or less), cold, twice; then the grade book
# (benchmarks/gradebook.csv, fast, seed 0) as one `variantlab sweep` with four runs sharing the GPU through
# Ray's fractional GPUs. Prepare here with benchmarks/gpu_pack.sh, then call the device tool with
# carry [".gpu"] and command "bash benchmarks/gpu_session.sh" (about 8 minutes). Every results.json and the
# class summary come back under $OUT.
set -uo pipefail
out=${OUT:-/tmp/gpu-session-out}; mkdir -p "$out"
source benchmarks/gpu_unpack.sh
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
python3 -c "import torch, ray; print('torch', torch.__version__, 'ray', ray.__version__)"
student=(--dob 18/03/02 --roll B20AI052 --program btech --first Ayush --last Abrol --device cuda --data-dir "$data")
for seed in 0 1; do
  start=$(date +%s%N)
  python3 -m variantlab run "${student[@]}" --seed $seed --out "$runs/reference-$seed" 2>&1 | grep -v "━"
  echo "reference seed $seed: whole run $(( ($(date +%s%N) - start) / 1000000 )) ms of wall time" | tee -a "$out/walls.txt"
  cp "$runs/reference-$seed/results.json" "$out/reference-$seed.json"
done
start=$(date +%s%N)
python3 -m variantlab sweep benchmarks/gradebook.csv --seeds 1 --gpus-per-run 0.25 --cpus-per-run 3 \
  --data-dir "$data" --out "$runs/gradebook" 2>&1 | grep -v "━"
echo "grade book, 8 runs, 4 sharing the GPU: $(( ($(date +%s%N) - start) / 1000000 )) ms of wall time" | tee -a "$out/walls.txt"
mkdir -p "$out/gradebook"
cp "$runs/gradebook/class_summary.csv" "$out/gradebook/"
for f in "$runs"/gradebook/variants/*/results.json; do cp "$f" "$out/gradebook/$(basename "$(dirname "$f")").json"; done
python3 - "$out" <<'EOF'
import json, pathlib, sys
for f in sorted(pathlib.Path(sys.argv[1]).rglob("*.json")):
    r = json.loads(f.read_text())
    t = r["timings"]
    print(f"{f.stem[:60]:60} CNN {100 * r['cnn']['test_accuracy']:.2f}  AE-cl {100 * r['ae_classifier']['test_accuracy']:.2f}"
          f"  job {t['total_seconds']:.0f} s ({r['device_name']})")
EOF
cat "$out/walls.txt"
