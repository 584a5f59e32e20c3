#!/usr/bin/env bash
# Runs the experiments defined in Experiments/ and prints their headline figures.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${NTKBRIDGE:=.build/release/ntkbridge}"
echo "ntkbridge: $("$NTKBRIDGE" --version)"
