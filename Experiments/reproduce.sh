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
quick() { [ -n "${QUICK:-}" ] && flags "$1" || true; }
# The flags of $1 with those of $2 appended; a flag in both keeps only $2's value (each flag may be
# given once on a command line).
combine() {
  local -a base=($1) over=($2) out=()
  local -A overridden=()
  local t i
  for t in "${over[@]}"; do [[ $t == --* ]] && overridden[$t]=1; done
  for ((i = 0; i < ${#base[@]}; i++)); do
    t=${base[i]}
    if [[ $t == --* && -n ${overridden[$t]:-} ]]; then
      if ((i + 1 < ${#base[@]})) && [[ ${base[i + 1]} != --* ]]; then ((i++)); fi
      continue
    fi
    out+=("$t")
  done
  echo "${out[@]}" "${over[@]}"
}
fresh() { [ -z "${RESUME:-}" ] && rm -f "$1" || true; }

# 1. The closeness of MTL and GBML in the infinite-width limit (theory.md §6).
common="$(combine "$(flags Experiments/closeness/common.flags)" "$(quick Experiments/closeness/quick.flags)")"
while IFS=$'\t' read -r name sweep; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  out="$results/closeness/$name"
  fresh "$out/closeness.csv"
  # shellcheck disable=SC2086
  "$NTKBRIDGE" closeness $common $sweep --out "$out"
  echo
done < Experiments/closeness/sweeps.tsv

# 2. Finite networks approaching their kernel predictors as width grows (theory.md §7).
out="$results/finite/convergence"
mkdir -p "$out"
# shellcheck disable=SC2046
"$NTKBRIDGE" tasks $(flags Experiments/finite/convergence-tasks.flags) --out "$out/tasks.json"
fresh "$out/convergence.csv"
# shellcheck disable=SC2046
"$NTKBRIDGE" convergence --tasks "$out/tasks.json" \
  $(combine "$(flags Experiments/finite/convergence.flags)" "$(quick Experiments/finite/quick.flags)") --out "$out"
echo

# 3. The cost of training: MTL against ANIL, MAML and FOMAML.
out="$results/finite/cost"
mkdir -p "$out"
# shellcheck disable=SC2046
"$NTKBRIDGE" tasks $(flags Experiments/finite/cost-tasks.flags) --out "$out/tasks.json"
# shellcheck disable=SC2046
"$NTKBRIDGE" cost --tasks "$out/tasks.json" \
  $(combine "$(flags Experiments/finite/cost.flags)" "$(quick Experiments/finite/quick-cost.flags)") --out "$out"
echo

# 4. The Omniglot one-shot benchmark: MTL against ANIL and MAML on real drawings (Docs/omniglot.md).
NTKBRIDGE="$NTKBRIDGE" QUICK="${QUICK:-}" Experiments/omniglot/run.sh
