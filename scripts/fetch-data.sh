#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fetch the demo's public datasets from Debian's archive (never committed to the repository):
#   breast_cancer.csv  UCI Wisconsin Diagnostic Breast Cancer (WDBC), BSD-3, shipped in
#                      python3-sklearn; 569 rows x 30 features + label.
# Usage: scripts/fetch-data.sh DIR   (prints the dataset path)
set -euo pipefail

dir=${1:?usage: fetch-data.sh DIR}
mkdir -p "$dir"
csv="$dir/breast_cancer.csv"
if [[ -s "$csv" ]]; then
    echo "$csv"
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download python3-sklearn >/dev/null 2>&1) || {
    # apt-get download needs package lists; refresh them once and retry.
    if [[ $(id -u) -eq 0 ]]; then apt-get update -qq; else sudo apt-get update -qq; fi
    (cd "$work" && apt-get download python3-sklearn >/dev/null)
}
dpkg-deb -x "$work"/python3-sklearn_*.deb "$work/x"
src=$(find "$work/x" -path '*sklearn/datasets/data/breast_cancer.csv' | head -1)
[[ -n "$src" ]] || { echo "fetch-data: breast_cancer.csv not found in python3-sklearn" >&2; exit 1; }
cp "$src" "$csv.tmp"
cp "$(dirname "$src")/../descr/breast_cancer.rst" "$dir/breast_cancer.rst" 2>/dev/null || true
mv "$csv.tmp" "$csv"
echo "$csv"
