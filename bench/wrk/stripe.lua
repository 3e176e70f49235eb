-- stripe.lua — POST /webhooks/stripe with signed, unique events from a
-- pool made just before the run (BENCH_POOL: "signature<TAB>body" lines).
-- No bearer key: webhooks authenticate by signature only.
function init(args)
  local raw = lines_for_thread(os.getenv("BENCH_POOL"))
  reqs = {}
  for i, line in ipairs(raw) do
    local tab = line:find("\t", 1, true)
    reqs[i] = wrk.format("POST", "/webhooks/stripe",
      {["Content-Type"] = "application/json", ["Stripe-Signature"] = line:sub(1, tab - 1)},
      line:sub(tab + 1))
  end
  k = 0
end
function request()
  k = k + 1
  if k > #reqs then wrapped = wrapped + 1 end
  return reqs[((k - 1) % #reqs) + 1]
end
