-- Slipway's dynamic backends: app name -> "ip:port,ip:port" in a shared dict, so a deploy
-- swaps containers without an nginx reload (a reload resets idle keep-alive connections).
-- A sleeping app is marked too ("sleep:<app>"): its requests wait in hold() while it is woken.
-- Apps with nginx's default settings have no server block of their own: the shared map routes
-- their domains ("host:<domain>" -> "<app>" and its flags: "parked", "tls"), and serves their
-- certificates ("cert:<app>" in slipway_certs), so adding an app, a domain or a certificate
-- changes the dicts, not the config, and takes no reload. Apps with blocks of their own have
-- their domains in the map too, flagged "block", so the map knows nginx's order of names.
local M = {
  -- Set by init_by_lua: a server of nginx's own that answers 503 with Retry-After.
  unavailable = nil,
  -- Set by init_by_lua: where the daemon wakes a sleeping app, and what shows it is nginx asking.
  wake_socket = nil,
  wake_token = nil,
  -- Set by init_by_lua: ":<port>" when Slipway's HTTPS port is not 443; the shared servers' HSTS
  -- header; where the master reads the certificates of the map's apps on start.
  https_suffix = "",
  hsts = "",
  certs_dir = nil,
}
local dict = ngx.shared.slipway_backends
local waking = ngx.shared.slipway_waking
local certs = ngx.shared.slipway_certs
local APP = "^[a-z0-9][a-z0-9.-]*$"
local PEERS = "^[0-9.:,]+$"
local DOMAIN = "^[a-z0-9*][a-z0-9.-]*$"
local FLAGS = { parked = true, tls = true, block = true }
-- How long a request waits for its app to wake (a start and its checks), and how often it looks.
local WAKE_TIMEOUT = 90
local WAKE_POLL = 0.02
local WAKE_FAILED_FOR = 5

local function peers_or_none(list)
  return list == "" or list == "-" or list:match(PEERS)
end

-- "app peers [fallback]" lines ("-" for no peers while a fallback remains), or "app peers
-- fallback sleeping" ("-" for none) for a sleeping app; and "host:<domain> app [flag...]" lines
-- for every app's domains. The daemon writes the same text to a file and to the API below.
-- Kept as "peers|fallback" and the sleeping mark, and the hosts' "app [flag...]".
local function parse(text)
  local backends, hosts = {}, {}
  for line in text:gmatch("[^\n]+") do
    local domain, owner, flags = line:match("^host:(%S+) (%S+)(.*)$")
    if domain then
      local valid = domain:match(DOMAIN) and owner:match(APP)
      for flag in flags:gmatch("%S+") do valid = valid and FLAGS[flag] end
      if not valid or not flags:match("^[a-z ]*$") then return nil, nil, "bad line: " .. line end
      hosts[domain] = owner .. flags
    else
      local app, peers, fallback, flag = line:match("^(%S+) (%S+) ?(%S*) ?(%S*)$")
      local valid = app and app:match(APP) and peers_or_none(peers) and peers_or_none(fallback)
        and (flag == "" or flag == "sleeping")
      local sleeping = flag == "sleeping"
      local none = (peers == "-") and (fallback == "" or fallback == "-")
      if not valid or (none and not sleeping) then return nil, nil, "bad line: " .. line end
      local primary = peers == "-" and "" or peers
      local backup = fallback == "-" and "" or fallback
      backends[app] = { peers = primary .. "|" .. backup, sleeping = sleeping }
    end
  end
  return backends, hosts
end

-- A set that never evicts another key: a full dict would otherwise drop some app's route unseen.
local function set(key, value)
  local ok, err = dict:safe_set(key, value)
  if not ok then error("slipway_backends (lua_shared_dict): " .. key .. ": " .. err) end
end

-- Sets every app and host listed and only then drops the others, so no request sees a gap. An
-- app going to sleep is marked before its peers go; one waking has its peers before the mark goes.
local function apply(backends, hosts)
  for app, entry in pairs(backends) do
    if entry.sleeping then set("sleep:" .. app, true) end
    set("peers:" .. app, entry.peers)
    if not entry.sleeping then dict:delete("sleep:" .. app) end
  end
  for domain, owner in pairs(hosts) do set("host:" .. domain, owner) end
  for _, key in ipairs(dict:get_keys(0)) do
    local app = key:match("^peers:(.+)$") or key:match("^sleep:(.+)$")
    local domain = key:match("^host:(.+)$")
    if (app and not backends[app]) or (domain and not hosts[domain]) then dict:delete(key) end
  end
  -- A certificate goes with the last of its app's hosts the map serves over HTTPS.
  local served = {}
  for _, owner in pairs(hosts) do
    if owner:find(" tls", 1, true) then served[owner:match("^%S+")] = true end
  end
  for _, key in ipairs(certs:get_keys(0)) do
    if not served[key:match("^cert:(.+)$")] then certs:delete(key) end
  end
  return served
end

local function read_file(path)
  local file = io.open(path, "r")
  if not file then return nil end
  local text = file:read("*a")
  file:close()
  return text
end

-- On start and on each reload, in the master (root): the map, and the certificates of its
-- apps served over HTTPS from their files (root's alone), which the workers never read.
function M.load_file(path)
  local text = read_file(path)
  if not text then return end
  local backends, hosts, err = parse(text)
  if not backends then ngx.log(ngx.ERR, "slipway backends file: ", err) return end
  local ok, served = pcall(apply, backends, hosts)
  if not ok then ngx.log(ngx.ERR, "slipway backends file: ", served) return end
  for app in pairs(served) do
    local dir = M.certs_dir .. "/" .. app .. "/"
    local chain, key = read_file(dir .. "server.crt"), read_file(dir .. "server.key")
    local stored, problem = chain and key and certs:safe_set("cert:" .. app, chain .. key)
    if not stored then ngx.log(ngx.ERR, "slipway: the certificate of ", app, ": ", problem or "unreadable") end
  end
end

-- The daemon hands an app's certificate chain and key (PEM) here before the map serves the
-- app over HTTPS. 507 when there is no room left (safe_set evicts no other app's).
function M.certs_api()
  local app = ngx.var.arg_app or ""
  ngx.req.read_body()
  local pem = ngx.req.get_body_data() or ""
  local ssl = require "ngx.ssl"
  if not app:match(APP) or not ssl.parse_pem_cert(pem) or not ssl.parse_pem_priv_key(pem) then
    ngx.status = 400 ngx.say("bad certificate for ", app) return
  end
  local ok, err = certs:safe_set("cert:" .. app, pem)
  if not ok then ngx.status = 507 ngx.say(err) return end
  ngx.say("ok")
end

-- The whole text comes in one request body, kept in memory (status.conf sizes its buffer): a
-- body nginx put in a file instead would read as no apps at all, and take every route away.
function M.api()
  ngx.req.read_body()
  local body = ngx.req.get_body_data()
  if not body and ngx.req.get_body_file() then
    ngx.status = 413
    ngx.say("the backends did not fit client_body_buffer_size (status.conf)")
    return
  end
  local backends, hosts, err = parse(body or "")
  if not backends then ngx.status = 400 ngx.say(err) return end
  local ok, failed = pcall(apply, backends, hosts)
  if not ok then ngx.status = 507 ngx.say(failed) return end
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
  -- A sleeping app with nothing left to drain: nothing to balance over.
  if #cached.peers + #cached.fallback == 0 then return nil end
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

-- Asks the daemon to wake the app (in a timer, so the request that asked may go away). The
-- "waking" entry stands for the one call per wake: it goes when the daemon says the app is
-- awake, or says "failed" for a few seconds (requests waiting then get a 503, later ones ask again).
local function ask_to_wake(premature, app)
  -- This worker is exiting (a reload): a request still waiting asks again.
  if premature then return waking:delete(app) end
  local sock = ngx.socket.tcp()
  sock:settimeout(WAKE_TIMEOUT * 1000)
  local ok, err = sock:connect(M.wake_socket)
  if ok then
    ok, err = sock:send("POST /wake/" .. app .. " HTTP/1.0\r\nHost: slipway\r\nX-Slipway-Wake: "
      .. M.wake_token .. "\r\nContent-Length: 0\r\n\r\n")
  end
  local status
  if ok then
    local line
    line, err = sock:receive("*l")
    status = line and line:match("^HTTP/%d%.%d (%d+)")
  end
  sock:close()
  if status == "200" then return waking:delete(app) end
  ngx.log(ngx.ERR, "slipway: waking ", app, " failed: ", err or status)
  waking:set(app, "failed", WAKE_FAILED_FOR)
end

-- Starts the wake unless one is under way; false when it cannot be asked for at all.
local function start_wake(app)
  if not waking:add(app, "asked", WAKE_TIMEOUT) then return true end
  local ok, err = ngx.timer.at(0, ask_to_wake, app)
  if ok then return true end
  waking:delete(app)
  ngx.log(ngx.ERR, "slipway: cannot ask to wake ", app, ": ", err)
  return false
end

local function refuse(message)
  ngx.status = 503
  ngx.header["Retry-After"] = "5"
  ngx.header.content_type = "text/plain"
  ngx.say(message)
  return ngx.exit(503)
end

-- Access phase: a request for a sleeping app waits until the app has backends again (every
-- request waits on the same wake), then goes on to the balancer; any other passes at once.
function M.hold()
  local app = ngx.var.slipway_app
  if not dict:get("sleep:" .. app) then return end
  local deadline = ngx.now() + WAKE_TIMEOUT
  repeat
    local state = waking:get(app)
    if state == "failed" or (not state and not start_wake(app)) then
      return refuse(app .. " is asleep and could not be woken; try again shortly")
    end
    if ngx.now() >= deadline then return refuse(app .. " did not wake within " .. WAKE_TIMEOUT .. " s; try again") end
    ngx.sleep(WAKE_POLL)
  until not dict:get("sleep:" .. app)
end

-- The map's entry for a Host, as nginx picks a server_name: the exact name, else the longest
-- "*." wildcard over it.
local function owner_of(host)
  local owner = dict:get("host:" .. host)
  local rest = host
  while not owner do
    local dot = rest:find(".", 1, true)
    if not dot then return nil end
    rest = rest:sub(dot + 1)
    owner = dict:get("host:*." .. rest)
  end
  return owner
end

local function has(owner, flag)
  return owner:find(" " .. flag, 1, true) ~= nil
end

-- The app the shared map routes this Host to, set in $slipway_log (its access log) and
-- returned with its entry; a Host nobody owns, or owned by an app with a block of its own
-- (on another port), gets the 404 it got before there was a map (and goes to nginx's own
-- access log).
local function routed_app()
  local owner = owner_of(ngx.var.host or "")
  if not owner or has(owner, "block") then
    ngx.var.slipway_unrouted = "1"
    return ngx.exit(404)
  end
  local app = owner:match("^%S+")
  ngx.var.slipway_log = app
  return app, owner
end

-- Access phase of the shared servers: routes by Host as an app's own block would. Plain HTTP
-- of an app with a certificate goes to HTTPS, which carries its HSTS header; a parked app
-- answers 502 without the balancer; a sleeping one waits in hold().
function M.route()
  local app, owner = routed_app()
  if has(owner, "tls") then
    if ngx.var.https ~= "on" then
      return ngx.redirect("https://" .. ngx.var.host .. M.https_suffix .. ngx.var.request_uri, 301)
    end
    ngx.var.slipway_hsts = M.hsts
  end
  if has(owner, "parked") then return ngx.exit(502) end
  ngx.var.slipway_app = app
  return M.hold()
end

-- ACME challenges on the shared server: answered for the map's hosts only, whatever the app's state.
function M.known()
  routed_app()
end

-- In an app's own block with wildcard names: nginx chose it for a Host it has only by a
-- wildcard, even when an app of the map has that Host exactly or by a longer wildcard, which
-- nginx's own order puts first. Such a request goes to the block's @slipway_map location, which
-- routes it as the shared servers do; any other is the block's (`own`), and so is HTTPS for an
-- app the map serves over plain HTTP only (it does not listen there).
local function own_unless_map(own, ...)
  local owner = owner_of(ngx.var.host or "")
  if owner and not has(owner, "block") and (ngx.var.https ~= "on" or has(owner, "tls")) then
    return ngx.exec("@slipway_map")
  end
  return own(...)
end

-- Where the block proxies to its app.
function M.own_or_map()
  return own_unless_map(M.hold)
end

-- Where the block's HTTP listener of an app with a certificate only redirects.
function M.redirect_or_map(https_suffix)
  return own_unless_map(ngx.redirect, "https://" .. ngx.var.host .. https_suffix .. ngx.var.request_uri, 301)
end

-- Where the block of a parked app answers 502.
function M.parked_or_map()
  return own_unless_map(ngx.exit, 502)
end

-- Per worker: each app's certificate and key parsed once per change of its PEM (not per handshake).
local parsed_certs, parsed_certs_count = {}, 0

local function certificate_of(app)
  local pem = certs:get("cert:" .. app)
  if not pem then return nil end
  local cached = parsed_certs[app]
  if cached and cached.pem == pem then return cached end
  local ssl = require "ngx.ssl"
  local chain, key = ssl.parse_pem_cert(pem), ssl.parse_pem_priv_key(pem)
  if not chain or not key then return nil end
  if not cached then
    if parsed_certs_count >= PARSED_MAX then parsed_certs, parsed_certs_count = {}, 0 end
    parsed_certs_count = parsed_certs_count + 1
  end
  cached = { pem = pem, chain = chain, key = key }
  parsed_certs[app] = cached
  return cached
end

-- ssl_certificate_by_lua: the certificate of the app the map gives the SNI name to. The shared
-- HTTPS server refuses the handshake for any other name (as ssl_reject_handshake did), never
-- showing another app's certificate; a block with wildcard names (`keep_own`) keeps its own.
function M.certificate(keep_own)
  local ssl = require "ngx.ssl"
  local name = ssl.server_name()
  local owner = name and owner_of(name:lower())
  local found = owner and has(owner, "tls") and not has(owner, "block") and certificate_of(owner:match("^%S+"))
  if not found then
    if keep_own then return end
    return ngx.exit(ngx.ERROR)
  end
  ssl.clear_certs()
  local ok, err = ssl.set_cert(found.chain)
  if ok then ok, err = ssl.set_priv_key(found.key) end
  if not ok then
    ngx.log(ngx.ERR, "slipway: serving the certificate of ", owner, ": ", err)
    return ngx.exit(ngx.ERROR)
  end
end

return M
