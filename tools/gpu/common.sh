# Sourced by the GPU call scripts: site packages from carried wheels, paths, env.
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1
export PYTHONPATH=/tmp/site:$PWD
W=/tmp/study
mkdir -p $W /tmp/site
install_wheels() { python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site "$@"; }
