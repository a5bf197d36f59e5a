-- wrk script of the page benchmark (bench/pages.py).
-- With a request file (`-- <file>`): every request is the next line of the file, a
-- "<Cookie header>\t<form body>" POST to the URL's path, and no two threads share a line.
-- Always: prints one "BENCH {...}" JSON line with the figures bench/pages.py reads.

local threads = {}
local lines, k, step

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  step = #threads > 0 and #threads or 2
  if args[1] then
    step = tonumber(args[2])
    lines = {}
    for line in io.lines(args[1]) do table.insert(lines, line) end
    k = tid
  end
end

function request()
  if not lines then return wrk.request() end
  local line = lines[(k % #lines) + 1]
  k = k + step
  local cookie, body = line:match("([^\t]*)\t(.*)")
  return wrk.format("POST", nil, {
    ["Cookie"] = cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "socket_errors": %d, "http_errors": %d, ' ..
    '"p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
