#!/usr/bin/env bash
# The test command (README): Rust unit and integration tests against the real server.
set -euo pipefail
cd "$(dirname "$0")"
cargo test --release
