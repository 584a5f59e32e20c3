#!/usr/bin/env bash
# The Omniglot one-shot benchmark (Docs/omniglot.md): MTL against ANIL and MAML with the
# infinite-width fully connected and convolutional kernels (and small finite networks) on Lake et
# al.'s 20 runs, beside baselines that use no training tasks and the published human and BPL
# figures, and the training cost of the finite networks.
#   fc:        hyperparameters selected on held-out background episodes (never on the runs);
#              accuracy against the number of training tasks and against depth; the MTL–GBML
#              prediction distance against depth (the "kernel-FC part", timed by `make bench`);
#   baselines: nearest neighbour and modified Hausdorff distance, no training tasks;
#   finite:    finite fully connected and convolutional networks on a small setting;
#   cntk:      convolutional kernels (flatten readout at S = 21, global average pooling at S = 7),
#              selected on held-out background episodes like fc;
#   cost:      time and steps of each finite method to a common accuracy on held-out background
#              episodes, median over repeats;
#   then accuracy.csv is assembled from the parts' files and the figures are drawn.
# PARTS (default: all of them) runs only some parts; the others' files are kept. OMNIGLOT_OUT
# writes elsewhere, TASK_EXT=json uses JSON task files instead of the binary .npz ones.
# Writes Experiments/results/omniglot/ (QUICK=1: Experiments/results/quick/omniglot, fewer points).
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${NTKBRIDGE:=.build/release/ntkbridge}"
: "${PARTS:=fc baselines finite cntk cost}"
: "${TASK_EXT:=npz}"
out=Experiments/results/omniglot
[ -n "${QUICK:-}" ] && out=Experiments/results/quick/omniglot
out=${OMNIGLOT_OUT:-$out}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
part() { [[ " $PARTS " == *" $1 "* ]]; }

flags() { grep -v '^#' "$1" | tr '\n' ' '; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
# The mean accuracy, its CI half-width and the mean MSE printed by `evaluate`.
scores() { "$NTKBRIDGE" evaluate --tasks "$1" --predictions "$2" |
           awk '/^accuracy/ {a = $2; c = $4} /^mse/ {m = $2} END {print a "," c "," m}'; }
ntk="ntkbridge"   # how commands are quoted in the CSVs
T="T.$TASK_EXT"
tasks_flags=$(flags Experiments/omniglot/tasks.flags)
kernel_flags=$(flags Experiments/omniglot/kernel.flags)
methods="mtl anil maml"
if [ -n "${QUICK:-}" ]; then counts="5 10"; depths="1 2"; deep=10; grid_tau="1"; grid_time="1 inf"
else counts="5 10 25 50"; depths="1 2 3 5 8"; deep=10; grid_tau="1 3 10"; grid_time="1 10 inf"; fi
largest=${counts##* }
meta_flag() { [ "$1" = inf ] && echo "" || echo "--meta-time $1"; }
header="method,model,depth,width,image_size,train_tasks,accuracy_mean,accuracy_ci95,mse,train_seconds,command"
row() {   # method model depth width size n tasks-file predictions seconds command → a CSV row
  echo "$1,$2,$3,$4,$5,$6,$(scores "$7" "$8"),$9,${10}"
}
# Grid search on held-out episodes: select <tasks> <selection.csv> <predict flags…> writes one row
# per method × τ × t of $grid_tau × $grid_time; chosen <selection.csv> <method> then gives the flags
# of the best held-out accuracy (the first in grid order on a tie).
select_grid() {
  local tasks=$1 file=$2; shift 2
  echo "method,inner_time,meta_time,accuracy_mean,accuracy_ci95,mse" > "$file"
  for m in $methods; do
    for tau in $grid_tau; do for t in $grid_time; do
      # shellcheck disable=SC2046
      "$NTKBRIDGE" predict --tasks "$tasks" --method "$m" "$@" --inner-steps "$tau" $(meta_flag "$t") --out "$work/p.csv" >/dev/null
      echo "$m,$tau,$t,$(scores "$tasks" "$work/p.csv")" >> "$file"
    done; done
  done
}
chosen() { awk -F, -v m="$2" 'NR > 1 && $1 == m && $4 > best {best = $4; tau = $2; t = $3} END {print tau, t}' "$1" |
           { read -r tau t; echo "--inner-steps $tau $(meta_flag "$t")"; }; }

# ---- fc: the kernel-FC part (`make bench` times exactly this part) ----
if part fc; then
kernel_start=$(now)
# Selection: train on small1's characters, score 20-way 1-shot episodes from small2's alphabets
# that small1 lacks (Japanese, Sanskrit, Tagalog).
select_tasks="$work/select.$TASK_EXT"
# shellcheck disable=SC2086
"$NTKBRIDGE" tasks $tasks_flags --train-tasks 10 --seed 101 --background small1 --test held-out:20 --out "$select_tasks"
# shellcheck disable=SC2086
select_grid "$select_tasks" "$out/selection.csv" --depth 2 $kernel_flags
hyper() { chosen "$out/selection.csv" "$1"; }

# Accuracy on the 20 runs. Training task i does not depend on N, so smaller sets are prefixes.
echo "$header" > "$out/by_tasks.csv"
echo "$header" > "$out/by_depth.csv"
echo "depth,method,rms_distance_to_mtl,rms_mtl" > "$out/distance.csv"
for n in $counts; do
  # shellcheck disable=SC2086
  "$NTKBRIDGE" tasks $tasks_flags --train-tasks "$n" --seed 1 --out "$work/tasks-$n.$TASK_EXT"
done
for n in $counts; do
  t="$work/tasks-$n.$TASK_EXT"
  for m in $methods; do
    h=$(hyper "$m"); start=$(now)
    # shellcheck disable=SC2086
    "$NTKBRIDGE" predict --tasks "$t" --method "$m" --depth 2 $kernel_flags $h --out "$work/p-$n-$m.csv" >/dev/null
    seconds=$(elapsed "$start")
    cmd="$ntk tasks $tasks_flags --train-tasks $n --seed 1 --out $T && $ntk predict --tasks $T --method $m --depth 2 $kernel_flags $h --out P.csv && $ntk evaluate --tasks $T --predictions P.csv"
    row "$m" kernel-fc 2 inf 21 "$n" "$t" "$work/p-$n-$m.csv" "$seconds" "$(echo "$cmd" | tr -s ' ')" >> "$out/by_tasks.csv"
  done
done
t="$work/tasks-$deep.$TASK_EXT"
for d in $depths; do
  for m in $methods; do
    h=$(hyper "$m"); start=$(now)
    # shellcheck disable=SC2086
    "$NTKBRIDGE" predict --tasks "$t" --method "$m" --depth "$d" $kernel_flags $h --out "$work/d-$d-$m.csv" >/dev/null
    seconds=$(elapsed "$start")
    cmd="$ntk tasks $tasks_flags --train-tasks $deep --seed 1 --out $T && $ntk predict --tasks $T --method $m --depth $d $kernel_flags $h --out P.csv && $ntk evaluate --tasks $T --predictions P.csv"
    row "$m" kernel-fc "$d" inf 21 "$deep" "$t" "$work/d-$d-$m.csv" "$seconds" "$(echo "$cmd" | tr -s ' ')" >> "$out/by_depth.csv"
  done
  # The root-mean-square distance between each GBML predictor and MTL's on the runs' queries.
  for m in anil maml; do
    paste -d, "$work/d-$d-mtl.csv" "$work/d-$d-$m.csv" | awk -F, -v d="$d" -v m="$m" '
      NR > 1 { k = (NF - 4) / 2; for (j = 3; j <= 2 + k; j++) { e = $(j + k + 2) - $j; s += e * e; q += $j * $j; c++ } }
      END { printf "%s,%s,%.6g,%.6g\n", d, m, sqrt(s / c), sqrt(q / c) }' >> "$out/distance.csv"
  done
done
echo "kernel-FC part (selection, both sweeps, distances; .$TASK_EXT task files): $(elapsed "$kernel_start") s wall" |
  tee "$out/kernel_seconds.txt"
fi

# ---- baselines: no training tasks, on the same runs (the pixel ones at full resolution too) ----
if part baselines; then
echo "$header" > "$out/baselines.csv"
for size in 21 105; do
  t="$work/tasks-$size.$TASK_EXT"
  "$NTKBRIDGE" tasks --family omniglot --data Experiments/data/omniglot --image-size "$size" --ways 20 --support 1 --query 1 \
    --train-tasks 1 --seed 1 --out "$t"
  for b in nearest-neighbour hausdorff; do
    [ "$b" = hausdorff ] && [ "$size" != 105 ] && continue
    start=$(now)
    "$NTKBRIDGE" baseline --tasks "$t" --method "$b" --out "$work/b.csv"
    seconds=$(elapsed "$start")
    cmd="$ntk tasks --family omniglot --data Experiments/data/omniglot --image-size $size --ways 20 --support 1 --query 1 --train-tasks 1 --seed 1 --out $T && $ntk baseline --tasks $T --method $b --out P.csv && $ntk evaluate --tasks $T --predictions P.csv"
    row "$b" pixels - - "$size" 0 "$t" "$work/b.csv" "$seconds" "$cmd" >> "$out/baselines.csv"
  done
done
fi

# ---- finite: finite fully connected networks on a small setting (7 × 7 drawings, 10 tasks) ----
small_flags="--family omniglot --data Experiments/data/omniglot --image-size 7 --ways 20 --support 1 --query 1"
if part finite; then
  t="$work/finite.$TASK_EXT"
  # shellcheck disable=SC2086
  "$NTKBRIDGE" tasks $small_flags --train-tasks 10 --seed 1 --out "$t"
  finite_flags=$(flags Experiments/omniglot/finite.flags)
  [ -n "${QUICK:-}" ] && finite_flags=${finite_flags/--meta-steps 300/--meta-steps 30}
  echo "$header" > "$out/finite.csv"
  for m in mtl anil maml fomaml; do
    start=$(now)
    # shellcheck disable=SC2086
    "$NTKBRIDGE" finite --tasks "$t" --method "$m" --depth 2 $finite_flags --out "$work/f.csv" >/dev/null
    seconds=$(elapsed "$start")
    cmd="$ntk tasks $small_flags --train-tasks 10 --seed 1 --out $T && $ntk finite --tasks $T --method $m --depth 2 $finite_flags --out P.csv && $ntk evaluate --tasks $T --predictions P.csv"
    row "$m" finite-fc 2 256 7 10 "$t" "$work/f.csv" "$seconds" "$(echo "$cmd" | tr -s ' ')" >> "$out/finite.csv"
  done
  # finite-conv: the same four methods with a small convolutional network (3 × 3 filters, same
  # padding, flatten readout) on the same tasks; conv steps cost far more than dense ones at equal
  # parameter count, so it is narrow (16 channels) and trains for fewer steps (finite-conv.flags).
  conv_flags=$(flags Experiments/omniglot/finite-conv.flags)
  [ -n "${QUICK:-}" ] && conv_flags=${conv_flags/--meta-steps 50/--meta-steps 5}
  echo "$header" > "$out/finite-conv.csv"
  for m in mtl anil maml fomaml; do
    start=$(now)
    # shellcheck disable=SC2086
    "$NTKBRIDGE" finite --tasks "$t" --method "$m" --depth 2 $conv_flags --out "$work/f.csv" >/dev/null
    seconds=$(elapsed "$start")
    cmd="$ntk tasks $small_flags --train-tasks 10 --seed 1 --out $T && $ntk finite --tasks $T --method $m --depth 2 $conv_flags --out P.csv && $ntk evaluate --tasks $T --predictions P.csv"
    row "$m" finite-conv 2 16 7 10 "$t" "$work/f.csv" "$seconds" "$(echo "$cmd" | tr -s ' ')" >> "$out/finite-conv.csv"
  done
fi

# ---- cntk: convolutional kernels (3×3 filters, ReLU, same padding) ----
# Cost per predict ∝ (points)²·(H·W) for flatten and ∝ (points)²·(H·W)² for global average pooling,
# so flatten runs at S = 21 and GAP at S = 7, both on a smaller selection set than fc (N = 5 small1
# tasks, 10 held-out episodes) and a smaller grid (τ ∈ {3, 10}; GAP: t = 1 only; Docs/omniglot.md).
if part cntk; then
  cntk_flags=$(flags Experiments/omniglot/cntk.flags)
  echo "$header" > "$out/cntk.csv"
  if [ -n "${QUICK:-}" ]; then cntk_settings="flatten:7:5"; cntk_episodes=3
  else cntk_settings="flatten:21:10 gap:7:5"; cntk_episodes=10; fi
  for setting in $cntk_settings; do
    IFS=: read -r readout size n <<< "$setting"
    arch="--conv 3x3 --image ${size}x${size}x1 --readout $readout"
    conv_tasks="--family omniglot --data Experiments/data/omniglot --image-size $size --ways 20 --support 1 --query 1"
    # shellcheck disable=SC2086
    "$NTKBRIDGE" tasks $conv_tasks --train-tasks 5 --seed 101 --background small1 --test "held-out:$cntk_episodes" \
      --out "$work/cselect.$TASK_EXT"
    if [ -n "${QUICK:-}" ]; then grid_tau="3"; grid_time="1"
    elif [ "$readout" = gap ]; then grid_tau="3 10"; grid_time="1"
    else grid_tau="3 10"; grid_time="1 inf"; fi
    # shellcheck disable=SC2086
    select_grid "$work/cselect.$TASK_EXT" "$out/cntk_selection_$readout.csv" --depth 2 $arch $cntk_flags
    # shellcheck disable=SC2086
    "$NTKBRIDGE" tasks $conv_tasks --train-tasks "$n" --seed 1 --out "$work/ctasks.$TASK_EXT"
    for m in $methods; do
      h=$(chosen "$out/cntk_selection_$readout.csv" "$m"); start=$(now)
      # shellcheck disable=SC2086
      "$NTKBRIDGE" predict --tasks "$work/ctasks.$TASK_EXT" --method "$m" --depth 2 $arch $cntk_flags $h \
        --out "$work/c.csv" >/dev/null
      seconds=$(elapsed "$start")
      cmd="$ntk tasks $conv_tasks --train-tasks $n --seed 1 --out $T && $ntk predict --tasks $T --method $m --depth 2 $arch $cntk_flags $h --out P.csv && $ntk evaluate --tasks $T --predictions P.csv"
      row "$m" "kernel-cntk-$readout" 2 inf "$size" "$n" "$work/ctasks.$TASK_EXT" "$work/c.csv" "$seconds" \
        "$(echo "$cmd" | tr -s ' ')" >> "$out/cntk.csv"
    done
  done
fi

# ---- cost: the finite networks' time and steps to a common held-out accuracy ----
# `ntkbridge cost` holds out the last V training tasks (background episodes never trained on) and
# records every evaluation's validation accuracy (curves.csv). It runs once per method, so that
# each method is evaluated every k steps for its own k (about 25 evaluations in the budget; the
# same seeds give the same initialisations); cost_summary.sh then sets the common target — the
# lowest, over methods, median best validation accuracy — and measures the time to it.
if part cost; then
  cost_flags=$(flags Experiments/omniglot/cost.flags)
  cost_every="mtl:20 anil:10 fomaml:3 maml:1"; cost_n=60; cost_v=10
  if [ -n "${QUICK:-}" ]; then
    cost_flags=$(flags Experiments/omniglot/cost-quick.flags); cost_every="mtl:20 anil:10 fomaml:5 maml:2"; cost_n=14; cost_v=4
  fi
  cost_tasks="$small_flags --background small1 --test held-out:5"
  # shellcheck disable=SC2086
  "$NTKBRIDGE" tasks $cost_tasks --train-tasks "$cost_n" --seed 1 --out "$work/cost.$TASK_EXT"
  rm -rf "$out/cost"; mkdir -p "$out/cost"
  echo "# $ntk tasks $cost_tasks --train-tasks $cost_n --seed 1 --out $T" | tr -s ' ' > "$out/cost/commands.txt"
  for me in $cost_every; do
    m=${me%%:*} every=${me##*:}
    # shellcheck disable=SC2086
    "$NTKBRIDGE" cost --tasks "$work/cost.$TASK_EXT" --methods "$m" --evaluate-every "$every" --depth 2 \
      --validation-tasks "$cost_v" $cost_flags --no-figures --out "$work/cost-$m" > "$out/cost/loss_protocol_$m.txt" \
      2> "$work/cost-$m.log" || { cat "$work/cost-$m.log" >&2; exit 1; }   # its warnings concern its own loss target
    echo "# $ntk cost --tasks $T --methods $m --evaluate-every $every --depth 2 --validation-tasks $cost_v $cost_flags --out DIR" |
      tr -s ' ' >> "$out/cost/commands.txt"
    for f in curves runs; do   # the header from the first method only
      skip=1; [ -f "$out/cost/$f.csv" ] && skip=2
      grep -v '^#' "$work/cost-$m/$f.csv" | tail -n +$skip >> "$out/cost/$f.csv"
    done
  done
  Experiments/omniglot/cost_summary.sh "$out/cost" "$out"
fi

# ---- accuracy.csv from the parts' files ----
{
  echo "$header"
  [ -f "$out/by_tasks.csv" ] && awk -F, -v n="$largest" 'NR > 1 && $6 == n' "$out/by_tasks.csv"
  [ -f "$out/cntk.csv" ] && tail -n +2 "$out/cntk.csv"
  [ -f "$out/baselines.csv" ] && tail -n +2 "$out/baselines.csv"
  echo "chance,-,-,-,-,0,0.05,0,,0,1/20 for 20-way tasks"
  echo "human,published,-,-,105,-,0.955,,,,Lake et al. 2015 (Science 350:1332): 4.5% error with the full background set"
  echo "bpl,published,-,-,105,-,0.967,,,,Lake et al. 2015 (Science 350:1332): Bayesian Program Learning 3.3% error"
  [ -f "$out/finite.csv" ] && tail -n +2 "$out/finite.csv"
  [ -f "$out/finite-conv.csv" ] && tail -n +2 "$out/finite-conv.csv"
  true
} > "$out/accuracy.csv"

# ---- figures ----
# A part that did not run (QUICK, PARTS) leaves its curves empty; gnuplot's "no valid points"
# warning for them is expected and dropped, every other message is shown.
gnuplot -e "dir='$out'" Experiments/omniglot/figures.gp 2> >(grep -v 'Skipping data file with no valid points' >&2)
column -s, -t < <(cut -d, -f1-10 "$out/accuracy.csv")
