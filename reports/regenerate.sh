#!/usr/bin/env bash
# Regenerate the committed report (reports/REPORT.md, results.json and the figures) in one command:
# train the study's runs through `bayes-meta sweep` on a local Ray (finished trials are not rerun),
# then write the report. Arguments go to reports/make_study.py (see its docstring), e.g.
#   bash reports/regenerate.sh --tasks bernoulli bandit --seeds 8
# Needs the `train`, `sweep`, `plots` and `analysis` extras.
set -euo pipefail
cd "$(dirname "$0")/.."
python reports/make_study.py "$@"
