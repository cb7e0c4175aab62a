-- Per-app traffic for Slipway's /metrics: requests by status class, a latency histogram and
-- the time of the last request, counted in a shared dict as each request is logged (no call
-- to the daemon per request). Counters live as long as the nginx master (a reload keeps
-- them), as Prometheus counters may: a restart reads as a counter reset.
local M = {}
local dict = ngx.shared.slipway_metrics
-- Upper bounds in seconds; a request slower than the last goes in "+Inf" only.
local BUCKETS = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 }
local BUCKET_NAMES = {}
for i, bound in ipairs(BUCKETS) do BUCKET_NAMES[i] = string.format("%g", bound) end

local function bucket_of(seconds)
  for i, bound in ipairs(BUCKETS) do
    if seconds <= bound then return BUCKET_NAMES[i] end
  end
  return "+Inf"
end

-- Keys are "<kind> <app> [<label>]": c(ount by status class), b(ucket), s(um of seconds), t(ime of the last request).
function M.record()
  local app = ngx.var.slipway_app
  if not app or app == "" then return end
  local seconds = tonumber(ngx.var.request_time) or 0
  dict:incr("c " .. app .. " " .. math.floor(ngx.status / 100) .. "xx", 1, 0)
  dict:incr("b " .. app .. " " .. bucket_of(seconds), 1, 0)
  dict:incr("s " .. app, seconds, 0)
  dict:set("t " .. app, ngx.now())
end

-- Every key and value, one "key value" line each, for the daemon to turn into Prometheus text.
function M.dump()
  local lines = {}
  for _, key in ipairs(dict:get_keys(0)) do
    local value = dict:get(key)
    if value then lines[#lines + 1] = key .. " " .. string.format("%.17g", value) end
  end
  ngx.header.content_type = "text/plain"
  ngx.print(table.concat(lines, "\n"))
end

return M
