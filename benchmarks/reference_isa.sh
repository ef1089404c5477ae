#!/usr/bin/env bash
# The reference job (`make run`'s command) with one seed, timed, under the CPU's own instruction set or
# with oneDNN and MKL held to AVX2 (as on most students' laptops; benchmarks/layers.py shows which kernels
# ran). Extra arguments go to `variantlab run` (e.g. --set cnn.epochs=13). Appends one line to OUT/walls.txt.
#   bash benchmarks/reference_isa.sh OUT native|avx2 SEED [RUN OPTIONS...]
set -euo pipefail
out=${1:?usage: reference_isa.sh OUT native|avx2 SEED [RUN OPTIONS...]}; isa=${2:?}; seed=${3:?}; shift 3
case $isa in
  native) ;;
  avx2) export ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2 ;;
  *) echo "instruction set '$isa': expected native or avx2" >&2; exit 2 ;;
esac
folder=$out/$isa-seed$seed$(printf '%s' "$*" | tr -c 'A-Za-z0-9.=_-' '_')
# An existing folder would be resumed from its checkpoints, and the time would be a resume's.
[[ -e $folder ]] && { echo "$folder exists: give another OUT" >&2; exit 2; }
start=$(date +%s%N)
# The reference student as the Makefile's `run` target has it.
.venv/bin/variantlab run --dob 18/03/02 --roll B20AI052 --program btech --first Ayush --last Abrol \
  --seed "$seed" --out "$folder" "$@" 2>&1 | grep -v "━"
wall=$(( ($(date +%s%N) - start + 500000000) / 1000000000 ))
echo "$(git describe --always --dirty) $isa seed $seed ${*:-(profile as it is)}: $wall s" | tee -a "$out/walls.txt"
