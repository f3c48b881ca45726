#!/usr/bin/env bash
# Runs the robustness suite (test/robustness) on the real parts and writes ROBUSTNESS.md from its
# own output: what was tried (the ledger the tests write) and what passed (jest's JSON report).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
ROBUSTNESS_LEDGER="$work/ledger.jsonl" npx jest test/robustness --json --outputFile="$work/results.json" || status=$?
npx tsx scripts/robustness-report.ts "$work/ledger.jsonl" "$work/results.json" > ROBUSTNESS.md
head -14 ROBUSTNESS.md | tail -9
exit "$status"
