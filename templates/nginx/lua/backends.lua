-- Slipway's dynamic backends: app name -> "ip:port,ip:port" in a shared dict, so a deploy
-- swaps containers without an nginx reload (a reload resets idle keep-alive connections).
local M = {}
local dict = ngx.shared.slipway_backends
local APP = "^[a-z0-9][a-z0-9.-]*$"
local PEERS = "^[0-9.:,]+$"

-- "app peers" lines; the daemon writes the same text to a file and to the API below.
local function parse(text)
  local backends = {}
  for line in text:gmatch("[^\n]+") do
    local app, peers = line:match("^(%S+) (%S+)$")
    if not app or not app:match(APP) or not peers:match(PEERS) then return nil, "bad line: " .. line end
    backends[app] = peers
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

-- Round robin across the app's containers; a retry (connection error, 502/503 on an
-- idempotent request) goes to the next one.
function M.balance()
  local balancer = require "ngx.balancer"
  local app = ngx.var.slipway_app
  local list = dict:get("peers:" .. app)
  if not list then ngx.log(ngx.ERR, "no backends for ", app) return ngx.exit(502) end
  local peers = {}
  for peer in list:gmatch("[^,]+") do peers[#peers + 1] = peer end
  local ctx = ngx.ctx
  if not ctx.slipway_next then
    ctx.slipway_next = dict:incr("rr:" .. app, 1, 0)
    if #peers > 1 then balancer.set_more_tries(math.min(#peers - 1, 2)) end
  else
    ctx.slipway_next = ctx.slipway_next + 1
  end
  local host, port = peers[(ctx.slipway_next % #peers) + 1]:match("^(.+):(%d+)$")
  -- A port mapping may send a listener's traffic to another port of the same containers.
  local mapped = tonumber(ngx.var.slipway_port)
  local ok, err = balancer.set_current_peer(host, mapped or tonumber(port))
  if not ok then ngx.log(ngx.ERR, "set_current_peer: ", err) return ngx.exit(502) end
end

return M
