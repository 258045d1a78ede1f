#!/usr/bin/env bash
# The GPU cells of the backend matrix (cupy, torch on CUDA), run on a machine with an NVIDIA GPU:
# the whole test suite for those cases, the quickstart on both, and a quick benchmark on CUDA.
# Wheels of pure-Python dependencies missing there may be put in .whl/ beforehand.
set -uo pipefail
OUT=${OUT:-/tmp/ad_core_gpu}
mkdir -p "$OUT"
if compgen -G ".whl/*.whl" > /dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site
fi
python3 -m pip install -q --no-deps --no-build-isolation -e . ./tests/plugin_package 2>&1 | grep -v WARN
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
python3 -m ad_core info > "$OUT/info.txt" 2>&1; grep -A3 "^backends" "$OUT/info.txt"
export PYTHONUNBUFFERED=1
AD_CORE_TEST_BACKENDS=cupy,torch_cuda timeout "${TEST_TIMEOUT:-360}" \
  python3 -m pytest -q -p no:cacheprovider --maxfail=30 tests > "$OUT/pytest.txt" 2>&1
echo "pytest exit $?"; grep -E "^(FAILED|ERROR)" "$OUT/pytest.txt" | head -30; tail -1 "$OUT/pytest.txt"
python3 examples/quickstart.py --backend torch --device cuda --steps 300 2>&1 | tail -1
python3 examples/quickstart.py --backend cupy --steps 300 2>&1 | tail -1
if [ -f bench/run_all.py ]; then
  timeout "${BENCH_TIMEOUT:-150}" python3 bench/run_all.py --quick --device cuda > "$OUT/bench.txt" 2>&1
  tail -25 "$OUT/bench.txt"
fi
