-- Slipway's dynamic backends: app name -> "ip:port,ip:port" in a shared dict, so a deploy
-- swaps containers without an nginx reload (a reload resets idle keep-alive connections).
local M = {}
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

-- An app with no running container (stopped, or its containers coming back after a crash)
-- answers 503 with a hint to retry, before any upstream is tried.
function M.ready()
  if not dict:get("peers:" .. ngx.var.slipway_app) then
    ngx.header["Retry-After"] = "5"
    return ngx.exit(ngx.HTTP_SERVICE_UNAVAILABLE)
  end
end

local function split(list)
  local peers = {}
  for peer in list:gmatch("[^,]+") do peers[#peers + 1] = peer end
  return peers
end

-- Round robin across the app's containers; a retry (connection error, 502/503 on an
-- idempotent request) goes to the next one, or, right after a swap, to the previous
-- release's containers (the fallback): a new container that died gets no request lost.
function M.balance()
  local balancer = require "ngx.balancer"
  local app = ngx.var.slipway_app
  local value = dict:get("peers:" .. app)
  if not value then ngx.log(ngx.ERR, "no backends for ", app) return ngx.exit(502) end
  local primary, backup = value:match("^([^|]*)|(.*)$")
  local peers, fallback = split(primary), split(backup)
  local ctx = ngx.ctx
  if not ctx.slipway_next then
    ctx.slipway_next = dict:incr("rr:" .. app, 1, 0)
    ctx.slipway_retry = false
    local more
    if #peers == 0 then more = #fallback - 1
    elseif #fallback > 0 then more = #fallback
    else more = #peers - 1 end
    if more > 0 then balancer.set_more_tries(math.min(more, 2)) end
  else
    ctx.slipway_next = ctx.slipway_next + 1
    ctx.slipway_retry = true
  end
  local pool = peers
  if #peers == 0 or (ctx.slipway_retry and #fallback > 0) then pool = fallback end
  local host, port = pool[(ctx.slipway_next % #pool) + 1]:match("^(.+):(%d+)$")
  -- A port mapping may send a listener's traffic to another port of the same containers.
  local mapped = tonumber(ngx.var.slipway_port)
  local ok, err = balancer.set_current_peer(host, mapped or tonumber(port))
  if not ok then ngx.log(ngx.ERR, "set_current_peer: ", err) return ngx.exit(502) end
end

return M
