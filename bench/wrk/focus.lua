-- focus.lua — POST /admin/operator-focus with the operator's usual
-- questions in turn (each a new session).
local messages = {
  "What matters most right now?",
  "Show payment risks I need to handle now.",
  "Show open concierge requests needing confirmation.",
  "Any urgent maintenance issues today?",
}
function init(args)
  local h = auth_headers({["Content-Type"] = "application/json"})
  reqs = {}
  for i, m in ipairs(messages) do
    reqs[i] = wrk.format("POST", "/admin/operator-focus", h, '{"message":"' .. m .. '"}')
  end
  k = tid
end
function request()
  k = k + 1
  return reqs[(k % #reqs) + 1]
end
