-- post_item.lua — durable POST /api/items: each 201 is a committed item
-- with its audit event (SPEC §3: 2xx means committed).
local prop = os.getenv("BENCH_PROPERTY")
function init(args)
  local h = auth_headers({["Content-Type"] = "application/json"})
  local body = '{"kind":"task","title":"bench item","priority":"normal","property_id":"' ..
               prop .. '"}'
  req = wrk.format("POST", "/api/items", h, body)
end
function request() return req end
