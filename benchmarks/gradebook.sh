#!/usr/bin/env bash
# The grade book (docs/VARIANTS.md): every (dataset, CNN layout, augmentation) cell of the B.Tech rules,
# trained through `variantlab sweep` on a local Ray, two runs side by side with one thread each.
#   bash benchmarks/gradebook.sh OUT [VARIANTLAB]
# Order: fast seed 0 of every cell, then seeds 1 and 2, then the faithful protocol on five non-reference variants
# (MNIST 3+2 with each augmentation, MNIST 5+1 flip, and the two FashionMNIST 0,2,4,6,8 cells, where fast is
# weakest). Every step resumes: finished groups are skipped and
# unfinished ones continue from their last epoch checkpoint, so the same command picks up after a stop.
# Then: .venv/bin/python benchmarks/baselines.py collect OUT/fast OUT/faithful
set -euo pipefail
out=${1:?usage: gradebook.sh OUT [VARIANTLAB]}
variantlab=${2:-.venv/bin/variantlab}
here=$(dirname "$0")
"$variantlab" sweep "$here/gradebook.csv" --seeds 1 --cpus-per-run 1 --out "$out/fast" || true
"$variantlab" sweep "$here/gradebook.csv" --seeds 3 --cpus-per-run 1 --out "$out/fast" || true
grep -E '^(roll|B20GB041|B20GB031|B20GB047|B20GB024|B20GB056),' "$here/gradebook.csv" > "$out/faithful-roster.csv"
"$variantlab" sweep "$out/faithful-roster.csv" --profile faithful --cpus-per-run 1 --out "$out/faithful"
