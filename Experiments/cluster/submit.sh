#!/usr/bin/env bash
# Runs a sweep as a SLURM job array of N shards, then merges them (Docs/scaling.md).
#
#   Experiments/cluster/submit.sh N RUN_DIR <closeness|convergence|cost> <flags of that command, without --out>
#
# Writes RUN_DIR/sweep.args (the command and its flags), submits shard.sbatch as
# `sbatch --array=0-(N−1)` (task i runs `--shard i/N --out RUN_DIR/shard-i`), and merge.sbatch
# with --dependency=afterok on the whole array (`ntkbridge merge RUN_DIR/shard-* --out
# RUN_DIR/merged`). A failed or timed-out task is resubmitted alone and resumes where it
# stopped: sbatch --array=<i> --export=ALL,RUN_DIR=…,SHARDS=N Experiments/cluster/shard.sbatch
# With LOCAL=1 the shards run one after the other on this machine (no SLURM), then the merge.
set -euo pipefail
if [ $# -lt 4 ]; then
    sed -n '2,12p' "$0" >&2
    exit 64
fi
shards=$1 run_dir=$2
shift 2
case "$shards" in ''|*[!0-9]*) echo "submit.sh: N must be a positive integer, got '$shards'" >&2; exit 64 ;; esac
[ "$shards" -ge 1 ] || { echo "submit.sh: N must be at least 1" >&2; exit 64; }
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$run_dir/logs"
printf '%s\n' "$@" > "$run_dir/sweep.args"
export RUN_DIR=$run_dir SHARDS=$shards NTKBRIDGE=${NTKBRIDGE:-ntkbridge}
if [ -n "${LOCAL:-}" ]; then
    for ((i = 0; i < shards; i++)); do SLURM_ARRAY_TASK_ID=$i "$here/shard.sbatch"; done
    "$here/merge.sbatch"
    exit
fi
array=$(sbatch --parsable --array=0-$((shards - 1)) --output="$run_dir/logs/shard-%a.out" --export=ALL "$here/shard.sbatch")
merge=$(sbatch --parsable --dependency=afterok:"${array%%;*}" --output="$run_dir/logs/merge.out" --export=ALL "$here/merge.sbatch")
echo "submitted shards $array (array 0-$((shards - 1))) and merge $merge; results in $run_dir/merged"
