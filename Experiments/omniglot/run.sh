#!/usr/bin/env bash
# The Omniglot one-shot benchmark (Docs/omniglot.md): MTL against ANIL and MAML with the
# infinite-width fully connected kernel (and small finite networks) on Lake et al.'s 20 runs,
# beside baselines that use no training tasks and the published human and BPL figures.
#   1. hyperparameters selected on held-out background episodes (never on the runs);
#   2. accuracy against the number of training tasks and against depth;
#   3. the MTL–GBML prediction distance against depth;
#   4. baselines; 5. finite networks on a small setting; 6. figures.
# Writes Experiments/results/omniglot/ (QUICK=1: Experiments/results/quick/omniglot, fewer points).
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${NTKBRIDGE:=.build/release/ntkbridge}"
out=Experiments/results/omniglot
[ -n "${QUICK:-}" ] && out=Experiments/results/quick/omniglot
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

flags() { grep -v '^#' "$1" | tr '\n' ' '; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
# The mean accuracy, its CI half-width and the mean MSE printed by `evaluate`.
scores() { "$NTKBRIDGE" evaluate --tasks "$1" --predictions "$2" |
           awk '/^accuracy/ {a = $2; c = $4} /^mse/ {m = $2} END {print a "," c "," m}'; }
ntk="ntkbridge"   # how commands are quoted in the CSVs
tasks_flags=$(flags Experiments/omniglot/tasks.flags)
kernel_flags=$(flags Experiments/omniglot/kernel.flags)
methods="mtl anil maml"
if [ -n "${QUICK:-}" ]; then counts="5 10"; depths="1 2"; deep=10; grid_tau="1"; grid_time="1 inf"
else counts="5 10 25 50"; depths="1 2 3 5 8"; deep=10; grid_tau="1 3 10"; grid_time="1 10 inf"; fi
largest=${counts##* }
meta_flag() { [ "$1" = inf ] && echo "" || echo "--meta-time $1"; }

kernel_start=$(now)
# 1. Selection on held-out episodes: train on small1's characters, score 20-way 1-shot episodes
#    from small2's alphabets that small1 lacks (Japanese, Sanskrit, Tagalog).
select_tasks="$work/select.json"
# shellcheck disable=SC2086
"$NTKBRIDGE" tasks $tasks_flags --train-tasks 10 --seed 101 --background small1 --test held-out:20 --out "$select_tasks"
echo "method,inner_time,meta_time,accuracy_mean,accuracy_ci95,mse" > "$out/selection.csv"
for m in $methods; do
  for tau in $grid_tau; do for t in $grid_time; do
    # shellcheck disable=SC2086,SC2046
    "$NTKBRIDGE" predict --tasks "$select_tasks" --method "$m" --depth 2 $kernel_flags --inner-steps "$tau" \
      $(meta_flag "$t") --out "$work/p.csv"
    echo "$m,$tau,$t,$(scores "$select_tasks" "$work/p.csv")" >> "$out/selection.csv"
  done; done
done
# The best held-out accuracy per method (the first in grid order on a tie).
chosen() { awk -F, -v m="$1" -v f="$2" 'NR > 1 && $1 == m && $4 > best {best = $4; v = (f == "tau" ? $2 : $3)} END {print v}' \
           "$out/selection.csv"; }
hyper() { echo "--inner-steps $(chosen "$1" tau) $(meta_flag "$(chosen "$1" time)")"; }

# 2. Accuracy on the 20 runs. Training task i does not depend on N, so smaller sets are prefixes.
header="method,model,depth,width,image_size,train_tasks,accuracy_mean,accuracy_ci95,mse,train_seconds,command"
echo "$header" > "$out/by_tasks.csv"
echo "$header" > "$out/by_depth.csv"
echo "depth,method,rms_distance_to_mtl,rms_mtl" > "$out/distance.csv"
row() {   # method model depth width size n tasks-file predictions seconds command → a CSV row
  echo "$1,$2,$3,$4,$5,$6,$(scores "$7" "$8"),$9,${10}"
}
for n in $counts; do
  t="$work/tasks-$n.json"
  # shellcheck disable=SC2086
  "$NTKBRIDGE" tasks $tasks_flags --train-tasks "$n" --seed 1 --out "$t"
done
for n in $counts; do
  t="$work/tasks-$n.json"
  for m in $methods; do
    h=$(hyper "$m"); start=$(now)
    # shellcheck disable=SC2086
    "$NTKBRIDGE" predict --tasks "$t" --method "$m" --depth 2 $kernel_flags $h --out "$work/p-$n-$m.csv"
    seconds=$(elapsed "$start")
    cmd="$ntk tasks $tasks_flags --train-tasks $n --seed 1 --out T.json && $ntk predict --tasks T.json --method $m --depth 2 $kernel_flags $h --out P.csv && $ntk evaluate --tasks T.json --predictions P.csv"
    row "$m" kernel-fc 2 inf 21 "$n" "$t" "$work/p-$n-$m.csv" "$seconds" "$(echo "$cmd" | tr -s ' ')" >> "$out/by_tasks.csv"
  done
done
t="$work/tasks-$deep.json"
for d in $depths; do
  for m in $methods; do
    h=$(hyper "$m"); start=$(now)
    # shellcheck disable=SC2086
    "$NTKBRIDGE" predict --tasks "$t" --method "$m" --depth "$d" $kernel_flags $h --out "$work/d-$d-$m.csv"
    seconds=$(elapsed "$start")
    cmd="$ntk tasks $tasks_flags --train-tasks $deep --seed 1 --out T.json && $ntk predict --tasks T.json --method $m --depth $d $kernel_flags $h --out P.csv && $ntk evaluate --tasks T.json --predictions P.csv"
    row "$m" kernel-fc "$d" inf 21 "$deep" "$t" "$work/d-$d-$m.csv" "$seconds" "$(echo "$cmd" | tr -s ' ')" >> "$out/by_depth.csv"
  done
  # 3. The root-mean-square distance between each GBML predictor and MTL's on the runs' queries.
  for m in anil maml; do
    paste -d, "$work/d-$d-mtl.csv" "$work/d-$d-$m.csv" | awk -F, -v d="$d" -v m="$m" '
      NR > 1 { k = (NF - 4) / 2; for (j = 3; j <= 2 + k; j++) { e = $(j + k + 2) - $j; s += e * e; q += $j * $j; c++ } }
      END { printf "%s,%s,%.6g,%.6g\n", d, m, sqrt(s / c), sqrt(q / c) }' >> "$out/distance.csv"
  done
done

echo "kernel-FC part (selection, both sweeps, distances): $(elapsed "$kernel_start") s wall" | tee "$out/kernel_seconds.txt"

# 4. Baselines without training tasks, on the same runs (the pixel ones at full resolution too).
echo "$header" > "$out/accuracy.csv"
awk -F, -v n="$largest" 'NR > 1 && $6 == n' "$out/by_tasks.csv" >> "$out/accuracy.csv"
for size in 21 105; do
  t="$work/tasks-$size.json"
  "$NTKBRIDGE" tasks --family omniglot --data Experiments/data/omniglot --image-size "$size" --ways 20 --support 1 --query 1 \
    --train-tasks 1 --seed 1 --out "$t"
  for b in nearest-neighbour hausdorff; do
    [ "$b" = hausdorff ] && [ "$size" != 105 ] && continue
    start=$(now)
    "$NTKBRIDGE" baseline --tasks "$t" --method "$b" --out "$work/b.csv"
    seconds=$(elapsed "$start")
    cmd="$ntk tasks --family omniglot --data Experiments/data/omniglot --image-size $size --ways 20 --support 1 --query 1 --train-tasks 1 --seed 1 --out T.json && $ntk baseline --tasks T.json --method $b --out P.csv && $ntk evaluate --tasks T.json --predictions P.csv"
    row "$b" pixels - - "$size" 0 "$t" "$work/b.csv" "$seconds" "$cmd" >> "$out/accuracy.csv"
  done
done
echo "chance,-,-,-,-,0,0.05,0,,0,1/20 for 20-way tasks" >> "$out/accuracy.csv"
echo "human,published,-,-,105,-,0.955,,,,Lake et al. 2015 (Science 350:1332): 4.5% error with the full background set" >> "$out/accuracy.csv"
echo "bpl,published,-,-,105,-,0.967,,,,Lake et al. 2015 (Science 350:1332): Bayesian Program Learning 3.3% error" >> "$out/accuracy.csv"

# 5. Finite networks on a small setting: 7 × 7 drawings, 10 training tasks.
if [ -z "${SKIP_FINITE:-}" ]; then
  t="$work/finite.json"
  small_flags="--family omniglot --data Experiments/data/omniglot --image-size 7 --ways 20 --support 1 --query 1"
  # shellcheck disable=SC2086
  "$NTKBRIDGE" tasks $small_flags --train-tasks 10 --seed 1 --out "$t"
  finite_flags=$(flags Experiments/omniglot/finite.flags)
  [ -n "${QUICK:-}" ] && finite_flags=${finite_flags/--meta-steps 300/--meta-steps 30}
  for m in mtl anil maml fomaml; do
    start=$(now)
    # shellcheck disable=SC2086
    "$NTKBRIDGE" finite --tasks "$t" --method "$m" --depth 2 $finite_flags --out "$work/f.csv"
    seconds=$(elapsed "$start")
    cmd="$ntk tasks $small_flags --train-tasks 10 --seed 1 --out T.json && $ntk finite --tasks T.json --method $m --depth 2 $finite_flags --out P.csv && $ntk evaluate --tasks T.json --predictions P.csv"
    row "$m" finite-fc 2 256 7 10 "$t" "$work/f.csv" "$seconds" "$(echo "$cmd" | tr -s ' ')" >> "$out/accuracy.csv"
  done
fi

# 6. Figures.
gnuplot -e "dir='$out'" Experiments/omniglot/figures.gp
column -s, -t < <(cut -d, -f1-10 "$out/accuracy.csv")
