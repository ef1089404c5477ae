# Sourced by the device-machine scripts (gpu_session.sh, gpu_pools.sh): unpacks what benchmarks/gpu_pack.sh
# carried in .gpu/ (Ray Core, fpdf2 and its needs, both datasets) once per machine, and points Python at it.
site=/tmp/variantlab-site; data=/tmp/variantlab-data; runs=/tmp/variantlab-runs
mkdir -p "$site" "$data"
[[ -d $site/ray ]] || tar -C "$site" -xJf .gpu/ray.tar.xz || exit
python3 -m pip install -q --no-index --no-deps --target "$site" .gpu/wheels/*.whl || exit
[[ -d $data/mnist ]] || tar -C "$data" -xJf .gpu/data.tar.xz || exit
export PYTHONPATH=$PWD/src:$site PYTHONUNBUFFERED=1 VARIANTLAB_OFFLINE=1
