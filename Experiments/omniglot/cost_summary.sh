#!/usr/bin/env bash
# The cost of each finite method to reach a common accuracy on held-out background episodes, from
# the curves.csv and runs.csv that `ntkbridge cost` wrote into COST_DIR (Docs/omniglot.md, "Cost").
#   - target: the lowest, over methods, median (over repeats) best validation accuracy after the
#     common head-only test-time adaptation — the accuracy every method reaches in a typical repeat;
#   - each run: the first evaluation at or above the target is `reached` (after step 0), `at-start`
#     (at step 0: says nothing about training) or `never`;
#   - per method: medians [min, max] over the reached runs of steps, wall and CPU seconds to the
#     target, medians over all runs of the time per step, and ratios to MTL.
# Writes OUT/cost.csv, OUT/cost_runs.csv, OUT/cost_curve.csv (the figure's data: per method and
# evaluated step, medians and ranges over repeats) and OUT/cost_summary.txt.
# Usage: cost_summary.sh COST_DIR OUT
set -euo pipefail
dir=$1 out=$2

# Sorted-sample statistics in awk (mawk has no asort): insertion sort, then the median.
stats='
function sortv(a, n,   i, j, v) { for (i = 2; i <= n; i++) { v = a[i]; for (j = i - 1; j >= 1 && a[j] > v; j--) a[j + 1] = a[j]; a[j + 1] = v } }
function median(a, n) { if (n == 0) return ""; sortv(a, n); return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
function minv(a, n,   i, m) { if (n == 0) return ""; m = a[1]; for (i = 2; i <= n; i++) if (a[i] < m) m = a[i]; return m }
function maxv(a, n,   i, m) { if (n == 0) return ""; m = a[1]; for (i = 2; i <= n; i++) if (a[i] > m) m = a[i]; return m }
'
curves() { grep -v '^#' "$dir/curves.csv"; }
runs() { grep -v '^#' "$dir/runs.csv"; }

# The target: min over methods of the median over seeds of each run's best validation accuracy.
target=$(curves | awk -F, "$stats"'
  NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  { k = $1 SUBSEP $2; a = $c["validation_accuracy"] + 0; if (!(k in best) || a > best[k]) best[k] = a; method[k] = $1 }
  END {
    for (k in best) { m = method[k]; n[m]++; v[m, n[m]] = best[k] }
    t = ""
    for (m in n) { delete s; for (i = 1; i <= n[m]; i++) s[i] = v[m, i]; med = median(s, n[m]); if (t == "" || med < t) t = med }
    print t
  }')

# One row per run: its status against the target and when it got there.
curves | awk -F, -v target="$target" '
  NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  {
    k = $1 "," $2
    if (!(k in seen)) { seen[k] = 1; order[++runs] = k; status[k] = "never" }
    final[k] = $c["validation_accuracy"]; finalOwn[k] = $c["validation_accuracy_own"]; test[k] = $c["test_accuracy"]
    if ($3 == 0) initial[k] = $c["validation_accuracy"]
    if (!(k in best) || $c["validation_accuracy"] + 0 > best[k]) best[k] = $c["validation_accuracy"] + 0
    if (status[k] == "never" && $c["validation_accuracy"] + 1e-12 >= target) {
      status[k] = ($3 == 0 ? "at-start" : "reached"); hit[k] = $3 "," $4 "," $5
    }
  }
  END {
    print "method,seed,target_validation_accuracy,status,steps_to_target,seconds_to_target,cpu_seconds_to_target," \
          "final_validation_accuracy,final_validation_accuracy_own,final_test_accuracy,initial_validation_accuracy,best_validation_accuracy"
    for (r = 1; r <= runs; r++) { k = order[r]; h = (status[k] == "never" ? ",," : hit[k])
      print k "," target "," status[k] "," h "," final[k] "," finalOwn[k] "," test[k] "," initial[k] "," best[k] }
  }' > "$out/cost_runs.csv"

# Per method: medians and ranges, time per step from runs.csv, ratios to MTL.
{ runs | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
                  { print "S," $1 "," $c["seconds_per_step"] "," $c["cpu_seconds_per_step"] "," $c["steps"] "," $c["outer_rate"] }'
  tail -n +2 "$out/cost_runs.csv" | sed 's/^/R,/'; } | awk -F, "$stats"'
  $1 == "S" { m = $2; if (!(m in ns)) order[++methods] = m; ns[m]++
              sps[m, ns[m]] = $3; cps[m, ns[m]] = $4; st[m, ns[m]] = $5; rate[m, ns[m]] = $6; next }
  $1 == "R" { m = $2; nr[m]++; fa[m, nr[m]] = $9; fo[m, nr[m]] = $10; ft[m, nr[m]] = $11; target = $4
              ia[m, nr[m]] = $12; ba[m, nr[m]] = $13
              count[m, $5]++
              if ($5 == "reached") { nh[m]++; hs[m, nh[m]] = $6; hw[m, nh[m]] = $7; hc[m, nh[m]] = $8 } }
  function med(arr, m, n,   i) { delete s; for (i = 1; i <= n; i++) s[i] = arr[m, i]; return median(s, n) }
  function spread(arr, m, n,   i) { delete s; for (i = 1; i <= n; i++) s[i] = arr[m, i]; return median(s, n) "," minv(s, n) "," maxv(s, n) }
  END {
    print "method,repeats,target_validation_accuracy,reached,at_start,never,outer_rate_median,steps_median," \
          "seconds_per_step_median,cpu_seconds_per_step_median,cpu_seconds_per_step_over_mtl," \
          "steps_to_target_median,steps_to_target_min,steps_to_target_max," \
          "seconds_to_target_median,seconds_to_target_min,seconds_to_target_max," \
          "cpu_seconds_to_target_median,cpu_seconds_to_target_min,cpu_seconds_to_target_max,cpu_seconds_to_target_over_mtl," \
          "final_validation_accuracy_median,final_validation_accuracy_own_median,final_test_accuracy_median," \
          "initial_validation_accuracy_median,best_validation_accuracy_median"
    mtlStep = med(cps, "mtl", ns["mtl"]); mtlHit = med(hc, "mtl", nh["mtl"] + 0)
    for (j = 1; j <= methods; j++) { m = order[j]; n = nh[m] + 0
      step = med(cps, m, ns[m]); hit = med(hc, m, n)
      printf "%s,%d,%s,%d,%d,%d,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", m, ns[m], target, count[m, "reached"],
        count[m, "at-start"], count[m, "never"], med(rate, m, ns[m]), med(st, m, ns[m]), med(sps, m, ns[m]), step,
        (mtlStep > 0 ? step / mtlStep : ""), spread(hs, m, n), spread(hw, m, n), spread(hc, m, n),
        (mtlHit != "" && hit != "" ? hit / mtlHit : ""), med(fa, m, nr[m]), med(fo, m, nr[m]), med(ft, m, nr[m]),
        med(ia, m, nr[m]), med(ba, m, nr[m])
    }
  }' > "$out/cost.csv"

# The figure's data: per method and evaluated step (the steps every repeat of the method reached),
# median CPU seconds and the median, min and max validation accuracy over repeats.
curves | awk -F, "$stats"'
  NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  { m = $1; k = m SUBSEP $3; if (!((m, $2) in seed)) { seed[m, $2] = 1; repeats[m]++ }
    if (!(m in seen)) { seen[m] = 1; order[++methods] = m }
    if (!(k in n)) { steps[m, ++ns[m]] = $3 }
    n[k]++; cpu[k, n[k]] = $c["cpu_seconds"]; acc[k, n[k]] = $c["validation_accuracy"] }
  END {
    print "method,step,cpu_seconds_median,validation_accuracy_median,validation_accuracy_min,validation_accuracy_max"
    for (j = 1; j <= methods; j++) { m = order[j]
      for (i = 1; i <= ns[m]; i++) { k = m SUBSEP steps[m, i]; if (n[k] < repeats[m]) continue
        delete a; for (r = 1; r <= n[k]; r++) a[r] = cpu[k, r]; x = median(a, n[k])
        delete a; for (r = 1; r <= n[k]; r++) a[r] = acc[k, r]
        printf "%s,%s,%s,%s,%s,%s\n", m, steps[m, i], x, median(a, n[k]), minv(a, n[k]), maxv(a, n[k]) } }
  }' > "$out/cost_curve.csv"

{
  echo "Cost to a common accuracy on held-out background episodes (target $target, validation accuracy after"
  echo "the same head-only test-time adaptation); medians over repeats [min … max] over the runs that reached it."
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    { printf "%-7s reached %s/%s (at start %s)  CPU ms/step %7.1f (× MTL %5.1f)  steps to target %s [%s … %s]  CPU s to target %s [%s … %s] (× MTL %s)  validation accuracy at step 0 %s, best %s, final %s (own %s; test %s)\n",
        $1, $c["reached"], $c["repeats"], $c["at_start"], 1000 * $c["cpu_seconds_per_step_median"], $c["cpu_seconds_per_step_over_mtl"],
        $c["steps_to_target_median"], $c["steps_to_target_min"], $c["steps_to_target_max"],
        $c["cpu_seconds_to_target_median"], $c["cpu_seconds_to_target_min"], $c["cpu_seconds_to_target_max"],
        $c["cpu_seconds_to_target_over_mtl"], $c["initial_validation_accuracy_median"], $c["best_validation_accuracy_median"],
        $c["final_validation_accuracy_median"], $c["final_validation_accuracy_own_median"],
        $c["final_test_accuracy_median"] }' "$out/cost.csv"
} | tee "$out/cost_summary.txt"
