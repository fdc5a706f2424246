#!/usr/bin/env bash
# Time `dq validate` on a generated product sheet: bash bench/validate.sh [ROWS]
set -euo pipefail
rows=${1:-100000}
here=$(cd "$(dirname "$0")" && pwd)
data=${TMPDIR:-/tmp}/dq-bench-products-$rows.xlsx
[ -f "$data" ] || python "$here/make_products.py" "$rows" "$data"
/usr/bin/time -v python -m dataquality validate "$data" --quiet --format json --out "${TMPDIR:-/tmp}/dq-bench-out" 2>&1 \
  | grep -E "Elapsed|Maximum resident" || true
