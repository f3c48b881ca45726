#!/usr/bin/env bash
# The main job on sample files: installs everything (scripts/setup.sh), creates a clean file and
# the EICAR test file, and scans them with `lambda-av scan --workflow`, the path they take in AWS
# (embedded S3-compatible server, real clamd, the scan state machine executed locally), with
# generated test signatures that detect test files only.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
samples=$(mktemp -d)
trap 'rm -rf "$samples"' EXIT
printf 'Hello from lambda-av-daemon: this file is clean.\n' > "$samples/hello.txt"
# The EICAR test file: harmless, detected by every anti-virus engine.
printf '%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' > "$samples/eicar.com"
status=0
npx --no-install lambda-av scan --workflow --test-signatures "$samples" || status=$?
if [ "$status" -eq 1 ]; then
  echo "Exit code 1: something infected, as expected here (the EICAR sample). Clean files alone give 0."
  exit 0
fi
exit "$status"
