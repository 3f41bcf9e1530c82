#!/bin/bash
# A Systole sweep as a Slurm job array: task I of N runs shard I/N, then one dependent job merges.
#
#   sbatch Programs/sweeps/slurm.sh                 # submits the array and the merge job
#
# Every task writes parts/part-I.csv; the merged study is study.csv (identical, byte for byte,
# to what `systole sweep` without --shard would write). Rerunning a failed task is safe: --resume
# keeps the rows its part already holds.
#SBATCH --job-name=systole-sweep
#SBATCH --array=0-15
#SBATCH --cpus-per-task=8
#SBATCH --time=02:00:00
#SBATCH --output=logs/sweep-%A_%a.log
set -euo pipefail

N=${SLURM_ARRAY_TASK_COUNT:-16}
I=${SLURM_ARRAY_TASK_ID:-0}
mkdir -p parts logs

systole sweep zoo:mobilenet_v1 zoo:resnet18 --arch tpu-v1 \
  --vary array=64x64,128x128,256x256 \
  --vary ub.kib=3072,12288,24576 \
  --vary dram.gbps=17,34,68 \
  --vary dataflow=ws,os \
  --jobs "${SLURM_CPUS_PER_TASK:-1}" \
  --shard "$I/$N" --resume -o "parts/part-$I.csv"

# Task 0 queues the merge; it starts once every task of the array (task 0 too) has succeeded.
if [ "$I" -eq 0 ]; then
  sbatch --dependency=afterok:"${SLURM_ARRAY_JOB_ID}" --job-name=systole-sweep-merge \
    --wrap 'systole sweep merge parts/part-*.csv -o study.csv && systole sweep best study.csv --objective edp'
fi
