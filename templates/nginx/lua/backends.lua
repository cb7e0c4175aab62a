-- Slipway's dynamic backends: app name -> "ip:port,ip:port" in a shared dict, so a deploy
-- swaps containers without an nginx reload (a reload resets idle keep-alive connections).
local M = {
  -- Set by init_by_lua: a server of nginx's own that answers 503 with Retry-After.
  unavailable = nil,
}
local dict = ngx.shared.slipway_backends
local APP = "^[a-z0-9][a-z0-9.-]*$"
local PEERS = "^[0-9.:,]+$"

-- "app peers [fallback]" lines ("-" for no peers while a fallback remains); the daemon writes
-- the same text to a file and to the API below. Kept as "peers|fallback".
local function parse(text)
  local backends = {}
  for line in text:gmatch("[^\n]+") do
    local app, peers, fallback = line:match("^(%S+) (%S+) ?(%S*)$")
    local valid = app and app:match(APP) and (peers == "-" or peers:match(PEERS)) and (fallback == "" or fallback:match(PEERS))
    if not valid or (peers == "-" and fallback == "") then return nil, "bad line: " .. line end
    backends[app] = (peers == "-" and "" or peers) .. "|" .. fallback
  end
  return backends
end

-- Sets every app listed and only then drops the others, so no request sees a gap.
local function apply(backends)
  for app, peers in pairs(backends) do dict:set("peers:" .. app, peers) end
  for _, key in ipairs(dict:get_keys(0)) do
    local app = key:match("^peers:(.+)$")
    if app and not backends[app] then dict:delete(key) end
  end
end

function M.load_file(path)
  local file = io.open(path, "r")
  if not file then return end
  local backends, err = parse(file:read("*a"))
  file:close()
  if not backends then ngx.log(ngx.ERR, "slipway backends file: ", err) return end
  apply(backends)
end

function M.api()
  ngx.req.read_body()
  local backends, err = parse(ngx.req.get_body_data() or "")
  if not backends then ngx.status = 400 ngx.say(err) return end
  apply(backends)
  ngx.say("ok")
end

-- "ip:port,ip:port" as a list of {host, port}.
local function split(list)
  local peers = {}
  for host, port in list:gmatch("([^,]+):(%d+)") do peers[#peers + 1] = { host, tonumber(port) } end
  return peers
end

-- Per worker: each app's peers parsed once per change of its dict value (not per request), and
-- a round-robin counter (no shared-memory lock per request).
local parsed, parsed_count = {}, 0
local counters = {}
local PARSED_MAX = 10000 -- apps come and go: start afresh rather than grow without end

local function backends_of(app)
  local value = dict:get("peers:" .. app)
  if not value then return nil end
  local cached = parsed[app]
  if cached and cached.value == value then return cached end
  local primary, backup = value:match("^([^|]*)|(.*)$")
  cached = { value = value, peers = split(primary), fallback = split(backup) }
  if not parsed[app] then
    if parsed_count >= PARSED_MAX then parsed, counters, parsed_count = {}, {}, 0 end
    parsed_count = parsed_count + 1
  end
  parsed[app] = cached
  return cached
end

-- Round robin across the app's containers; a retry (connection error, 502/503 on an
-- idempotent request) goes to the next one, or, right after a swap, to the previous
-- release's containers (the fallback): a new container that died gets no request lost.
function M.balance()
  local balancer = require "ngx.balancer"
  local app = ngx.var.slipway_app
  local backends = backends_of(app)
  -- An app with no running container (stopped, or its containers coming back after a crash).
  if not backends then
    local ok, err = balancer.set_current_peer(M.unavailable)
    if not ok then ngx.log(ngx.ERR, "set_current_peer: ", err) return ngx.exit(502) end
    return
  end
  local peers, fallback = backends.peers, backends.fallback
  local n, retry
  if not balancer.get_last_failure() then
    n = (counters[app] or 0) + 1
    counters[app] = n
    retry = false
    local more
    if #peers == 0 then more = #fallback - 1
    elseif #fallback > 0 then more = #fallback
    else more = #peers - 1 end
    if more > 0 then
      balancer.set_more_tries(math.min(more, 2))
      ngx.ctx.slipway_next = n -- only requests that may be retried pay for a context
    end
  else
    n = (ngx.ctx.slipway_next or counters[app] or 0) + 1
    ngx.ctx.slipway_next = n
    retry = true
  end
  local pool = peers
  if #peers == 0 or (retry and #fallback > 0) then pool = fallback end
  local peer = pool[(n % #pool) + 1]
  -- A port mapping may send a listener's traffic to another port of the same containers.
  local ok, err = balancer.set_current_peer(peer[1], tonumber(ngx.var.slipway_port) or peer[2])
  if not ok then ngx.log(ngx.ERR, "set_current_peer: ", err) return ngx.exit(502) end
end

return M
