#!/usr/bin/env bash
# The test command (README): Rust unit and integration tests against the real server, then
# the browser tests in headless Chromium. Installs what the browser tests need when missing
# (Debian's chromium, playwright-core from npm), so a fresh machine needs only Rust + Node.
set -euo pipefail
cd "$(dirname "$0")"

cargo test

if [ -f tests/e2e/package.json ]; then
  if [ ! -x /usr/bin/chromium ]; then
    echo "installing chromium (Debian package)"
    sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo_cmd apt-get update -qq
    $sudo_cmd apt-get install -y -qq -o DPkg::Lock::Timeout=300 chromium >/dev/null
  fi
  cd tests/e2e
  npm ci --no-audit --no-fund --loglevel=error
  OBROL_BIN="$OLDPWD/target/debug/obrol" npm test
fi
