#!/usr/bin/env bash
# The GPU cells of the backend matrix (cupy, torch on CUDA), run on a machine with an NVIDIA GPU:
# the whole test suite for those cases, the certification kit on the built-in ops, the quickstart
# and the digits CNN on both, and a quick benchmark on CUDA.
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
AD_CORE_TEST_BACKENDS=cupy,torch_cuda timeout "${CERTIFY_TIMEOUT:-120}" \
  python3 -m pytest -q -p no:cacheprovider -p ad_core.testing.certify --ad-core-certify ad_core \
  > "$OUT/certify.txt" 2>&1
echo "certify exit $?"; grep -E "^(FAILED|ERROR)" "$OUT/certify.txt" | head -20; tail -1 "$OUT/certify.txt"
python3 examples/quickstart.py --backend torch --device cuda --steps 300 2>&1 | tail -1
python3 examples/quickstart.py --backend cupy --steps 300 2>&1 | tail -1
if python3 -c "import sklearn" 2> /dev/null; then  # the digits ship with scikit-learn
  for b in "torch --device cuda" cupy; do
    python3 examples/train_digits_cnn.py --backend $b --epochs 3 --quiet 2>&1 | tail -1
  done
fi
if [ -f bench/run_all.py ]; then
  timeout "${BENCH_TIMEOUT:-150}" python3 bench/run_all.py --quick --device cuda > "$OUT/bench.txt" 2>&1
  tail -25 "$OUT/bench.txt"
fi
