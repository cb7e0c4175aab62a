-- The router's access log for Slipway's log drains (drains:add <app> <url> --router): one
-- line per request in Heroku's router format, kept per app in a shared-dict list until the
-- daemon takes it through the status socket. Only apps the daemon asked for within the last
-- minute are recorded (it asks each time it takes their lines), so an app without a router
-- drain costs one dict read per request. Lines wait here while the daemon restarts.
local M = {}
local dict = ngx.shared.slipway_router_log
local WANTED_SECONDS = 60
-- Per app: more lines waiting than this are dropped, and counted.
local MAX_LINES = 20000
local MAX_PATH = 2000
-- An app's lines nobody took for this long (its router drain was removed) are let go.
local KEEP_SECONDS = 600

-- The last attempt's time of "0.001, 0.004" (nginx lists one per upstream tried), in ms.
local function last_ms(value)
  local seconds = value and tonumber(string.match(value, "([%d.]+)%s*$"))
  return seconds and math.floor(seconds * 1000 + 0.5) or 0
end

-- A path as one quoted field: quotes, backslashes and control bytes percent-encoded.
local function quoted(text)
  text = string.sub(text or "", 1, MAX_PATH)
  return '"' .. string.gsub(text, '[%c"\\]', function(c) return string.format("%%%02X", string.byte(c)) end) .. '"'
end

function M.record()
  local app = ngx.var.slipway_app
  if not app or app == "" or not dict:get("w " .. app) then return end
  local status = ngx.status
  local line = string.format(
    "%.3f at=%s method=%s path=%s host=%s fwd=%s connect=%dms service=%dms status=%d bytes=%d protocol=%s",
    ngx.req.start_time(), status >= 500 and "error" or "info", ngx.req.get_method(), quoted(ngx.var.request_uri),
    ngx.var.host, quoted(ngx.var.remote_addr), last_ms(ngx.var.upstream_connect_time),
    last_ms(ngx.var.upstream_response_time), status, tonumber(ngx.var.bytes_sent) or 0, ngx.var.scheme)
  local key = "l " .. app
  if (dict:llen(key) or 0) >= MAX_LINES or not dict:rpush(key, line) then
    dict:incr("d " .. app, 1, 0)
  else
    dict:expire(key, KEEP_SECONDS)
  end
end

-- GET /router-log?app=<app>&max=<n>: marks the app wanted for another minute, and takes
-- (removes) up to n of its lines, after a first line "dropped <count since the last take>".
function M.take()
  local args = ngx.req.get_uri_args()
  local app = type(args.app) == "string" and args.app or ""
  if not string.match(app, "^[a-z0-9][a-z0-9.-]*$") then return ngx.exit(400) end
  local max = math.min(tonumber(args.max) or 1000, 10000)
  dict:set("w " .. app, true, WANTED_SECONDS)
  local dropped = dict:get("d " .. app) or 0
  if dropped > 0 then dict:incr("d " .. app, -dropped) end
  local lines = { "dropped " .. dropped }
  local key = "l " .. app
  for _ = 1, max do
    local line = dict:lpop(key)
    if not line then break end
    lines[#lines + 1] = line
  end
  ngx.header.content_type = "text/plain"
  ngx.print(table.concat(lines, "\n"))
end

return M
