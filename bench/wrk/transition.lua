-- transition.lua — durable POST /api/items/{id}/transition over a pool of
-- requested items (BENCH_IDS): the first pass confirms each (with
-- evidence), the second starts it, the third marks it done. A thread that
-- exhausts three passes counts `wrapped` (those answers are 422).
local steps = {
  '{"to":"confirmed","evidence":"bench: confirmed by phone, ref 42"}',
  '{"to":"in_progress"}',
  '{"to":"done","evidence":"bench: photo of the finished job"}',
}
function init(args)
  ids = lines_for_thread(os.getenv("BENCH_IDS"))
  headers = auth_headers({["Content-Type"] = "application/json"})
  k = 0
end
function request()
  local n = #ids
  local pass = math.floor(k / n) + 1
  local id = ids[(k % n) + 1]
  k = k + 1
  if pass > #steps then
    wrapped = wrapped + 1
    pass = #steps
  end
  return wrk.format("POST", "/api/items/" .. id .. "/transition", headers, steps[pass])
end
