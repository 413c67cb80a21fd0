-- SPDX-License-Identifier: MIT
-- wrk script: POST realistic Telegram updates with unique update_ids to /webhook/telegram,
-- count answers by status, and report totals from every thread in done().
local threads = {}
local counter = 1

function setup(thread)
    thread:set("tid", counter)
    counter = counter + 1
    table.insert(threads, thread)
end

function init(args)
    seq = 0
    ok = 0
    other = 0
    secret = os.getenv("BENCH_SECRET") or "bench-secret"
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
    wrk.headers["X-Telegram-Bot-Api-Secret-Token"] = secret
end

function request()
    seq = seq + 1
    local update_id = tid * 100000000 + seq
    local chat = 5000000000 + tid * 1000000 + (seq % 20000)
    local body = string.format(
        '{"update_id":%d,"message":{"message_id":%d,' ..
        '"from":{"id":%d,"is_bot":false,"first_name":"Айгерім","language_code":"kk"},' ..
        '"chat":{"id":%d,"first_name":"Айгерім","type":"private"},' ..
        '"date":1764745200,"text":"Иә, растаймын"}}',
        update_id, seq, chat, chat)
    return wrk.format(nil, nil, nil, body)
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
