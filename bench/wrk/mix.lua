-- mix.lua — 90% GET /api/items?limit=20, 10% durable POST /api/items,
-- interleaved deterministically (every tenth request writes).
local prop = os.getenv("BENCH_PROPERTY")
function init(args)
  local h = auth_headers({["Content-Type"] = "application/json"})
  read = wrk.format("GET", "/api/items?limit=20", auth_headers())
  write = wrk.format("POST", "/api/items", h,
    '{"kind":"task","title":"bench mix","priority":"normal","property_id":"' .. prop .. '"}')
  k = tid
end
function request()
  k = k + 1
  if k % 10 == 0 then return write end
  return read
end
