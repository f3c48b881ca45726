#!/usr/bin/env bash
# Installs everything (scripts/setup.sh), checks types and lint, then runs the whole test suite on
# the real parts (clamd, freshclam, lambda-av's S3 endpoint, the local Step Functions runner). Ends with the line
# "N passed, N failed", counted from jest's JSON report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run --silent lint
results=.test-results.json
rm -f "$results"
status=0
npx jest --json --outputFile="$results" "$@" || status=$?
if [ ! -f "$results" ]; then
  echo "jest wrote no report"
  echo "0 passed, 1 failed"
  exit 1
fi
node -e '
  const r = require(process.argv[1]);
  const failedSuites = r.numFailedTestSuites - r.testResults.filter((s) => s.assertionResults.some((a) => a.status === "failed")).length;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests + failedSuites} failed`);
' "$PWD/$results"
exit "$status"
