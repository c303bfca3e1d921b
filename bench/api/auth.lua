-- SPDX-License-Identifier: Apache-2.0
-- wrk: send the session token of bench/api.sh on every request (ignored by nginx).
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
