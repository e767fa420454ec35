#!/usr/bin/env bash
# Regenerate the committed report (reports/REPORT.md, results.json and the figures) in one command:
# train the short runs the training dynamics and the MDS read (3 seeds per task, budgets bounded:
# at most about 12 minutes on 2 cores; finished runs are skipped), then write the report
# (about 5 minutes on an idle 2-core machine). Needs the `train`, `plots` and `analysis` extras.
set -euo pipefail
cd "$(dirname "$0")/.."
python reports/make_runs.py runs/analysis/runs
bayes-meta report lstm-predict-bernoulli lstm-predict-categorical lstm-predict-gaussian \
    lstm-predict-exponential lstm-metabandit --runs runs/analysis/runs --out reports \
    --episodes 1000 --dynamics-episodes 300 --checkpoint-every 2
# the package's report names its own command; this script is the repository's way to rerun all
sed -i 's|^Regenerate the report from its runs with:$|Regenerate everything (the short runs, then this report; under 20 minutes on 2 cores) with `bash reports/regenerate.sh`, or only the report from existing runs with:|' reports/REPORT.md
