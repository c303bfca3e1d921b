#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Split scikit-learn's breast_cancer.csv (WDBC: 569 rows, 30 features, target 0 = malignant,
# 1 = benign) into N hospital files with a header of column names, a patient id and
# `malignant` (1 = malignant). Row i goes to hospital (i mod N): every hospital sees both classes.
# Usage: scripts/wdbc-split.sh breast_cancer.csv OUT-PREFIX N   (writes OUT-PREFIX1.csv ...)
set -euo pipefail
src=${1:?usage: wdbc-split.sh CSV OUT-PREFIX N}
prefix=${2:?usage: wdbc-split.sh CSV OUT-PREFIX N}
n=${3:?usage: wdbc-split.sh CSV OUT-PREFIX N}
header="id,mean_radius,mean_texture,mean_perimeter,mean_area,mean_smoothness,mean_compactness"
header+=",mean_concavity,mean_concave_points,mean_symmetry,mean_fractal_dimension,radius_error"
header+=",texture_error,perimeter_error,area_error,smoothness_error,compactness_error"
header+=",concavity_error,concave_points_error,symmetry_error,fractal_dimension_error"
header+=",worst_radius,worst_texture,worst_perimeter,worst_area,worst_smoothness"
header+=",worst_compactness,worst_concavity,worst_concave_points,worst_symmetry"
header+=",worst_fractal_dimension,malignant"
for ((h = 1; h <= n; h++)); do echo "$header" >"$prefix$h.csv"; done
awk -F, -v n="$n" -v prefix="$prefix" 'NR > 1 {
    h = (NR - 2) % n + 1
    line = (NR - 1)
    for (i = 1; i <= 30; i++) line = line "," $i
    print line "," (1 - $31) >> (prefix h ".csv")
}' "$src"
