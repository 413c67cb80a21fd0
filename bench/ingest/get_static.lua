-- SPDX-License-Identifier: MIT
-- wrk script: GET /healthz (a static-size answer after one trivial SQL query), same report.
local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    ok = 0
    other = 0
end

function response(status, headers, body)
    if status == 200 then
        ok = ok + 1
    else
        other = other + 1
    end
end

function done(summary, latency, requests)
    local total_ok, total_other = 0, 0
    for _, t in ipairs(threads) do
        total_ok = total_ok + t:get("ok")
        total_other = total_other + t:get("other")
    end
    local secs = summary.duration / 1e6
    io.write(string.format("RESULT ok=%d other=%d errors=%d seconds=%.2f rate=%.0f " ..
                           "p50_ms=%.2f p99_ms=%.2f\n",
        total_ok, total_other,
        summary.errors.connect + summary.errors.read + summary.errors.write +
        summary.errors.timeout,
        secs, total_ok / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
