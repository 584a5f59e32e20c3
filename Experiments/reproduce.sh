#!/usr/bin/env bash
# `make reproduce`: runs the experiments defined in Experiments/ and prints their headline figures.
#   QUICK=1   smaller versions, written under Experiments/results/quick/ (not committed)
#   RESUME=1  continue an interrupted run instead of starting the sweeps afresh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${NTKBRIDGE:=.build/release/ntkbridge}"
results=Experiments/results
[ -n "${QUICK:-}" ] && results=Experiments/results/quick
echo "ntkbridge: $("$NTKBRIDGE" --version)"

flags() { grep -v '^#' "$1" | tr '\n' ' '; }
common=$(flags Experiments/closeness/common.flags)
[ -n "${QUICK:-}" ] && common="$common $(flags Experiments/closeness/quick.flags)"

while IFS=$'\t' read -r name sweep; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  out="$results/closeness/$name"
  [ -z "${RESUME:-}" ] && rm -f "$out/closeness.csv"
  # shellcheck disable=SC2086
  "$NTKBRIDGE" closeness $common $sweep --out "$out"
  echo
done < Experiments/closeness/sweeps.tsv
