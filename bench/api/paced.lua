-- SPDX-License-Identifier: Apache-2.0
-- wrk: authenticated requests paced to BENCH_RATE requests/s in total over BENCH_CONNS
-- connections: each connection waits conns/rate seconds between requests (wrk's delay()).
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
local rate = tonumber(os.getenv("BENCH_RATE"))
local conns = tonumber(os.getenv("BENCH_CONNS"))
function delay()
    return 1000 * conns / rate
end
