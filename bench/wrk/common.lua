-- common.lua — prepended by bench/run to every scenario script.
--
-- Gives each wrk thread an index (tid, 0-based) so scripts can split a pool
-- of unique requests between threads, and prints one machine-readable line
-- at the end that bench/run parses:
--   BENCH requests=N duration_us=D status_errors=E socket_errors=S
--         p50_us=A p95_us=B p99_us=C wrapped=W
-- status_errors counts answers >= 400 (wrk's own rule); wrapped counts
-- requests sent after a thread ran out of unique work and started over.

local threads = {}
local next_tid = 0

function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(threads, thread)
end

key = os.getenv("BENCH_KEY") or ""
nthreads = tonumber(os.getenv("BENCH_THREADS") or "2")
wrapped = 0

function auth_headers(h)
  h = h or {}
  if key ~= "" then h["Authorization"] = "Bearer " .. key end
  return h
end

-- Lines of a file, keeping only those for this thread (i % nthreads == tid).
function lines_for_thread(path)
  local out = {}
  local f = assert(io.open(path, "r"))
  local i = 0
  for line in f:lines() do
    if i % nthreads == tid then out[#out + 1] = line end
    i = i + 1
    if i > 5000000 then break end
  end
  f:close()
  return out
end

function done(summary, latency, requests)
  local w = 0
  for _, t in ipairs(threads) do w = w + (tonumber(t:get("wrapped")) or 0) end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d status_errors=%d socket_errors=%d " ..
    "p50_us=%d p95_us=%d p99_us=%d wrapped=%d\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), w))
end
