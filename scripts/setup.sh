#!/usr/bin/env bash
# Installs what lambda-av-daemon needs on a Debian/Ubuntu machine: ClamAV from the distribution's
# packages (clamd, clamscan, clamdscan, freshclam, sigtool and ClamAV's test files), the programs
# the tests and build_lambda.sh run, and the npm packages. Safe to run again: it installs only
# what is missing. test/setup/setup-packages.test.ts checks this list against the programs the
# code runs.
set -euo pipefail
cd "$(dirname "$0")/.."

# clamav*: the engine, the daemon, freshclam, ClamAV's test corpus; clamdscan: the benchmark's
# baseline; zip, unzip: lambda.zip and test archives; binutils: readelf (build_lambda.sh);
# python3, openssl, qpdf: test fixtures (zip64 archives, a TLS mirror's certificates, encrypted
# PDFs); awscli, curl: clients the project did not write, tested against `lambda-av serve`; chromium:
# the serve page's test.
packages=(clamav clamav-daemon clamav-freshclam clamav-testfiles clamdscan zip unzip binutils python3 openssl qpdf awscli curl chromium)
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "Installing ${missing[*]} from the distribution's packages"
  # The packages would start the system's clamd and freshclam services (freshclam contacts
  # ClamAV's mirror); this project runs its own clamd with its own definitions, so package
  # scripts are told not to start services while installing.
  guard=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    guard=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$guard" >/dev/null
    $sudo chmod +x "$guard"
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ -z "$guard" ] || $sudo rm -f "$guard"
fi

# Judges this project did not write, from PyPI, each only where its program is missing (PyPI may
# be out of reach where they come preinstalled): moto's server (S3, Secrets Manager, SSM on
# 127.0.0.1 for the integration tests) and cfn-lint (AWS's CloudFormation linter).
# test/setup/setup-packages.test.ts reads this list too: program=package.
pip_programs=(moto_server=moto[server] cfn-lint=cfn-lint)
for entry in "${pip_programs[@]}"; do
  program=${entry%%=*}
  package=${entry#*=}
  command -v "$program" >/dev/null 2>&1 && continue
  echo "Installing $package with pip ($program is missing)"
  if ! python3 -m pip install --quiet "$package"; then
    echo "Could not install $package with pip: install it yourself (pip install '$package'), the tests run $program" >&2
    exit 1
  fi
done

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# The `lambda-av` command runs compiled JavaScript (dist/, not committed): build it now so the
# first command starts fast. bin/lambda-av.js compiles again by itself when src/ changes later.
node scripts/build-cli.js
