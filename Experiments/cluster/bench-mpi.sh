#!/usr/bin/env bash
# Strong scaling of ntkbridge-mpi on 1, 2 and 4 processes (make bench-mpi):
#   kernel   the cross kernel of n = 8000 points against 8000 others, depth 3, ReLU, its tiles
#            distributed over the 2-D grid (compute only, --timing; beside it the serial
#            `ntkbridge kernel` on the same inputs);
#   Φ        the ANIL meta-induced kernel Φ of 150 training tasks × 20 query points (Σn = 3000):
#            its block-cyclic assembly (each process its own blocks, from its own kernel blocks),
#            then the Cholesky factorization and solve by ScaLAPACK (pdpotrf/pdpocon/pdpotrs).
# Parallel efficiency E(P) = T(1) / (P·T(P)) from wall-clock times; beside it the CPU time of all
# processes summed and the work efficiency W(P) = CPU(1) / CPU(P) (1 when distributing adds no
# work), which other jobs on a shared machine do not distort. As on a cluster, each process is bound to one
# core and runs single-threaded BLAS, so T(1) is one core's time; beside it the serial command
# on all cores. Processes beyond the machine's cores share them (--oversubscribe, overload
# allowed): on a 2-core machine E(4) ≤ 0.5 by construction.
set -euo pipefail
NTKBRIDGE=${NTKBRIDGE:-.build/release/ntkbridge}
NTKBRIDGE_MPI=${NTKBRIDGE_MPI:-MPI/.build/release/ntkbridge-mpi}
N=${BENCH_N:-8000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mpirun_() { mpirun --allow-run-as-root --oversubscribe --bind-to core:overload-allowed -x OPENBLAS_NUM_THREADS=1 "$@"; }

awk -v n="$N" -v seed=1 'BEGIN{srand(seed); for(i=0;i<n;i++){s=""; for(j=0;j<8;j++) s=s (j?",":"") (rand()-0.5); print s}}' > "$work/x1.csv"
awk -v n="$N" -v seed=2 'BEGIN{srand(seed); for(i=0;i<n;i++){s=""; for(j=0;j<8;j++) s=s (j?",":"") (rand()-0.5); print s}}' > "$work/x2.csv"
"$NTKBRIDGE" tasks --family teacher --dim 8 --train-tasks 150 --test-tasks 2 --support 5 --query 20 --seed 1 \
    --out "$work/tasks.json" >/dev/null

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "load average at start: $(cut -d" " -f1-3 /proc/loadavg) (other jobs on the machine)"
kernel_args=(--x1 "$work/x1.csv" --x2 "$work/x2.csv" --depth 3 --activation relu --timing)
serial=$("$NTKBRIDGE" kernel "${kernel_args[@]}" | awk '/kernel_seconds/ {print $2}')
printf "reference: serial ntkbridge kernel %dx%d on all %d cores: %.2f s\n" "$N" "$N" "$(nproc)" "$serial"
printf "%-12s %3s %5s %9s %8s %10s %8s %9s\n" "what" "P" "grid" "seconds" "speedup" "efficiency" "cpu s" "work eff"
row() { awk -v w="$1" -v p="$2" -v g="$3" -v t="$4" -v t1="$5" -v c="$6" -v c1="$7" \
    'BEGIN { printf "%-12s %3d %5s %9.3f %8.2f %10.2f %8.2f %9.2f\n", w, p, g, t, t1 / t, t1 / (p * t), c, c1 / c }'; }
grid_of() { case $1 in 1) echo 1x1 ;; 2) echo 1x2 ;; 4) echo 2x2 ;; esac; }
field() { awk -v key="$1" '$1 == key ":" { print $2 }'; }
cpu_of() { awk -v key="$1" '$1 == key ":" { sub("cpu=", "", $3); print $3 }'; }
k1=""; kc1=""
for p in 1 2 4; do
    out=$(mpirun_ -np "$p" "$NTKBRIDGE_MPI" kernel "${kernel_args[@]}")
    t=$(echo "$out" | field kernel_seconds); c=$(echo "$out" | field kernel_cpu_seconds)
    k1=${k1:-$t}; kc1=${kc1:-$c}
    row kernel "$p" "$(grid_of "$p")" "$t" "$k1" "$c" "$kc1"
done
a1=""; ac1=""; s1=""; sc1=""
for p in 1 2 4; do
    out=$(NTKBRIDGE_MPI_TIMING=1 mpirun_ -np "$p" "$NTKBRIDGE_MPI" predict --tasks "$work/tasks.json" --method anil \
        --depth 3 --activation relu --inner continuous --inner-rate 1 --inner-steps 1 --out "$work/p.csv")
    a=$(echo "$out" | field outer_assembly_seconds); ac=$(echo "$out" | cpu_of outer_assembly_seconds)
    t=$(echo "$out" | field outer_solve_seconds); tc=$(echo "$out" | cpu_of outer_solve_seconds)
    a1=${a1:-$a}; ac1=${ac1:-$ac}; s1=${s1:-$t}; sc1=${sc1:-$tc}
    row "Φ assembly" "$p" "$(grid_of "$p")" "$a" "$a1" "$ac" "$ac1"
    row "Φ solve" "$p" "$(grid_of "$p")" "$t" "$s1" "$tc" "$sc1"
done
echo "load average at end: $(cut -d" " -f1-3 /proc/loadavg)"
