#!/usr/bin/env bash
# Strong scaling of ntkbridge-mpi on 1, 2 and 4 processes (make bench-mpi):
#   kernel   the cross kernel of n = 8000 points against 8000 others, depth 3, ReLU, its tiles
#            distributed over the 2-D grid (compute only, --timing; beside it the serial
#            `ntkbridge kernel` on the same inputs);
#   Φ        the ANIL meta-induced kernel Φ of 150 training tasks × 20 query points (Σn = 3000):
#            its block-cyclic assembly (each process its own blocks, from its own kernel blocks),
#            then the Cholesky factorization and solve by ScaLAPACK (pdpotrf/pdpocon/pdpotrs).
# Parallel efficiency E(P) = T(1) / (P·T(P)). As on a cluster, each process is bound to one
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
printf "%-12s %3s %5s %10s %10s %11s\n" "what" "P" "grid" "seconds" "speedup" "efficiency"
row() { awk -v w="$1" -v p="$2" -v g="$3" -v t="$4" -v t1="$5" \
    'BEGIN { printf "%-12s %3d %5s %10.3f %10.2f %11.2f\n", w, p, g, t, t1 / t, t1 / (p * t) }'; }
grid_of() { case $1 in 1) echo 1x1 ;; 2) echo 1x2 ;; 4) echo 2x2 ;; esac; }
k1=""
for p in 1 2 4; do
    t=$(mpirun_ -np "$p" "$NTKBRIDGE_MPI" kernel "${kernel_args[@]}" | awk '/kernel_seconds/ {print $2}')
    k1=${k1:-$t}
    row kernel "$p" "$(grid_of "$p")" "$t" "$k1"
done
a1=""; s1=""
for p in 1 2 4; do
    out=$(NTKBRIDGE_MPI_TIMING=1 mpirun_ -np "$p" "$NTKBRIDGE_MPI" predict --tasks "$work/tasks.json" --method anil \
        --depth 3 --activation relu --inner continuous --inner-rate 1 --inner-steps 1 --out "$work/p.csv")
    a=$(echo "$out" | awk '/outer_assembly_seconds/ {print $2}')
    t=$(echo "$out" | awk '/outer_solve_seconds/ {print $2}')
    a1=${a1:-$a}; s1=${s1:-$t}
    row "Φ assembly" "$p" "$(grid_of "$p")" "$a" "$a1"
    row "Φ solve" "$p" "$(grid_of "$p")" "$t" "$s1"
done
