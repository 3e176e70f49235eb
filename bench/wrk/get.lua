-- get.lua — GET of BENCH_PATH with the bearer key (reads and the nginx
-- reference alike).
local path = os.getenv("BENCH_PATH") or "/health"
function init(args)
  req = wrk.format("GET", path, auth_headers())
end
function request() return req end
