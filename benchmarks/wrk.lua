-- wrk script for benchmarks/load.py: sends the request described by the Lua
-- chunk named after "--" (method, body, headers, a header to vary), counts the answers' statuses
-- in each thread, and prints what was measured as one JSON line.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local spec = dofile(args[1])
  wrk.method = spec.method
  if spec.body ~= "" then
    wrk.body = spec.body
  end
  for name, value in pairs(spec.headers) do
    wrk.headers[name] = value
  end
  statuses = {}
  if spec.vary_header ~= "" then
    -- A different value in each request (unknown keys, as in a brute-force run).
    local base, sent = wrk.headers[spec.vary_header], 0
    request = function()
      sent = sent + 1
      wrk.headers[spec.vary_header] = base .. sent
      return wrk.format()
    end
  end
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do
    parts[#parts + 1] = string.format('"%d": %d', status, n)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH-RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
      .. '"socket_errors": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, table.concat(parts, ", ")))
end
