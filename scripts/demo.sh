#!/usr/bin/env bash
# Installs everything (scripts/setup.sh), then scans sample files through the local stack.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx tsx scripts/demo.ts
