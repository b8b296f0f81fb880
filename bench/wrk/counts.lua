-- Counts posted as tablets post them: POST /api/v1/counts with the tablet's session cookie and CSRF token.
--
--   wrk -t2 -c50 -d10s -s bench/wrk/counts.lua http://127.0.0.1:PORT -- POOL OFFSET THREADS [wrap]
--
-- POOL: one count a line, "cookie<TAB>csrf token<TAB>JSON body" (bench/count_load.py writes it from
-- bench/tablets.py: each line a ticket in the state its round needs, posted by a user entitled to count it).
-- Thread i of THREADS sends lines OFFSET+i, OFFSET+i+THREADS, ... once each: no ticket is posted twice.
-- The yardstick (bench/bare_insert.py) gets the very same requests, with "wrap": it may post a line again
-- (it checks nothing) and starts over at OFFSET when its lines run out. Without "wrap" a thread that runs
-- out of lines asks for /bench-pool-exhausted (a 404, reported): the figure is then not valid.
-- At the end one line "BENCH_JSON {...}" carries the figures bench/count_load.py reads.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local path, offset, step = args[1], tonumber(args[2] or "0"), tonumber(args[3] or "1")
  wrap = args[4] == "wrap"
  pool = {}
  local n = 0
  for line in io.lines(path) do
    if n >= offset and (n - offset) % step == index then
      local cookie, csrf, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      pool[#pool + 1] = wrk.format("POST", "/api/v1/counts",
        {["Content-Type"] = "application/json", ["Accept"] = "application/json", ["Accept-Language"] = "en",
         ["Cookie"] = cookie, ["X-CSRFToken"] = csrf}, body)
    end
    n = n + 1
  end
  sent = 0
  exhausted = 0
  statuses = {}
end

function request()
  sent = sent + 1
  local r = pool[sent]
  if r == nil and wrap and #pool > 0 then
    r = pool[(sent - 1) % #pool + 1]
  end
  if r == nil then
    exhausted = exhausted + 1
    return wrk.format("GET", "/bench-pool-exhausted")
  end
  return r
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local most_sent, exhausted_total, codes = 0, 0, {}
  for _, thread in ipairs(threads) do
    most_sent = math.max(most_sent, thread:get("sent"))
    exhausted_total = exhausted_total + thread:get("exhausted")
    for code, n in pairs(thread:get("statuses")) do
      codes[code] = (codes[code] or 0) + n
    end
  end
  local parts = {}
  for code, n in pairs(codes) do
    parts[#parts + 1] = string.format('"%s": %d', code, n)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "connect_errors": %d, "read_errors": %d, '
    .. '"write_errors": %d, "timeouts": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, '
    .. '"most_sent": %d, "exhausted": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    most_sent, exhausted_total, table.concat(parts, ", ")))
end
