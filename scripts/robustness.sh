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
# Then the judges the project did not write (cfn-lint, iam-simulate, moto), on their own: cfn-lint
# takes both cores for minutes, which would starve the burst test's timing.
judges=(test/integration/judges/cfn-lint.test.ts test/infra/iam-simulator.test.ts test/integration/moto-s3.test.ts
  test/integration/bulk/bulk-moto-paging.test.ts test/integration/judges/s3-eventbridge-moto.test.ts
  test/integration/secret-urls.test.ts)
ROBUSTNESS_LEDGER="$work/ledger.jsonl" npx jest "${judges[@]}" --json --outputFile="$work/judges.json" || status=$?
npx tsx scripts/robustness-report.ts "$work/ledger.jsonl" "$work/results.json" "$work/judges.json" > ROBUSTNESS.md
head -14 ROBUSTNESS.md | tail -9
exit "$status"
