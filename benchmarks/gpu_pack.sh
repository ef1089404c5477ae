#!/usr/bin/env bash
# Packs into .gpu/ (git-ignored) what the lent GPU machine lacks for benchmarks/gpu_session.sh: it has
# torch, typer, rich and matplotlib but no Ray, no fpdf2, no dataset and no network, and a device call
# carries at most 64 MiB. Ray's wheel alone is 79 MB, so Ray goes as Ray Core: its Java jars, its
# libraries (Tune, Train, Serve, Data, RLlib), the dashboard's web page and the binaries' symbols
# dropped, then xz-packed (about 25 MB). The datasets go as raw IDX files in one xz archive, since xz
# packs them into 5 MB less than their gzip files; variantlab checks their checksums on the device.
#   bash benchmarks/gpu_pack.sh [PYTHON_VERSION] [FASHION_MNIST_DIR] [MNIST_DIR]
# Then, with the device tool: carry [".gpu"], command "bash benchmarks/gpu_session.sh".
set -euo pipefail
py=${1:-3.12}  # the device machine's
fashion=${2:-/usr/share/datasets/fashion-mnist}
mnist=${3:-../shared/data/mnist}
ray_version=$(.venv/bin/python -c 'import ray; print(ray.__version__)')
rm -rf .gpu && mkdir -p .gpu/wheels
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
download() { .venv/bin/python -m pip download -q --no-deps --only-binary=:all: --python-version "$py" \
  --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 "$@"; }
download -d "$tmp" "ray==$ray_version"
# What Ray Core and fpdf2 need beyond the device machine's own packages.
download -d .gpu/wheels fpdf2 defusedxml jsonschema jsonschema-specifications referencing rpds-py
mkdir "$tmp/ray" && (cd "$tmp/ray" && unzip -q "$tmp"/ray-*.whl)
rm -rf "$tmp"/ray/ray/{jars,rllib,serve,data,llm,train,tune,dashboard/client/build}
strip --strip-unneeded "$tmp"/ray/ray/_raylet.so "$tmp"/ray/ray/core/src/ray/raylet/raylet \
  "$tmp"/ray/ray/core/src/ray/gcs/gcs_server
tar -C "$tmp/ray" -cf - . | xz -6 -T0 > .gpu/ray.tar.xz
for pair in "fashion_mnist:$fashion" "mnist:$mnist"; do  # the folder names variantlab looks under
  mkdir -p "$tmp/data/${pair%%:*}"
  for f in "${pair#*:}"/*-ubyte*; do
    name=$(basename "$f" .gz)
    if [[ $f == *.gz ]]; then gzip -dc "$f" > "$tmp/data/${pair%%:*}/$name"; else cp "$f" "$tmp/data/${pair%%:*}/$name"; fi
  done
done
tar -C "$tmp/data" -cf - . | xz -9 -T0 > .gpu/data.tar.xz
du -b .gpu/ray.tar.xz .gpu/data.tar.xz .gpu/wheels
du -sb .gpu | awk '{printf "carried: %.1f MiB of 64\n", $1 / 1048576}'
