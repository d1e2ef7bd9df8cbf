#!/usr/bin/env bash
# Install sizes of lora_mcl: the core (pip install lora_mcl) and every extra (pip install "lora_mcl[all]"),
# each in a fresh virtual environment, from a wheel built from this checkout. Writes sizes.json next to this script.
#   bash results/install_size/measure.sh          (a few minutes; needs python3 >= 3.10 and the package index)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; repo="$(cd "$here/../.." && pwd)"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
python3 -m pip wheel --no-deps -q -w "$tmp/dist" "$repo"
wheel="$(ls "$tmp"/dist/lora_mcl-*.whl)"
measure() {   # name, extras
  python3 -m venv "$tmp/$1"
  "$tmp/$1/bin/pip" install -q "torch==2.13.0" "$wheel$2" 2>&1 | grep -v "WARNING: Location" || true
  n=$("$tmp/$1/bin/pip" list --format=freeze 2>/dev/null | wc -l)
  mb=$(du -sm "$tmp/$1"/lib/python3*/site-packages | cut -f1)
  echo "\"$1\": {\"packages\": $n, \"site_packages_mb\": $mb}"
}
core=$(measure core ""); all=$(measure all "[all]")
(cd "$tmp" && "$tmp/core/bin/python" -c "import lora_mcl; from lora_mcl import MCLConfig, get_mcl_model, MCLTrainer, generate_candidates")
printf '{\n  %s,\n  %s,\n  "torch": "2.13.0 (CPU wheel)", "python": "%s", "measured": "%s"\n}\n' "$core" "$all" \
  "$(python3 -c 'import platform; print(platform.python_version())')" "$(date -u +%Y-%m-%d)" | tee "$here/sizes.json"
