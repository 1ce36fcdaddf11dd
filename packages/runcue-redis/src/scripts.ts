/**
 * The Lua scripts, one per operation. Each runs atomically on the Redis server and touches only
 * keys under the namespace's hash tag (`{runcue:<namespace>}`), so a namespace lives on one shard
 * of a Redis Cluster. The keys of one scope (a service, or one key of a service with `per`),
 * below its prefix `p`:
 *
 * - `p:held`  zset  lease → acquire time: the concurrency slots (running or reserved)
 * - `p:res`   hash  lease → `"#=1,tokens=1200"`: reservations not yet committed, with their cost
 * - `p:log:m` zset  lease → start time: the sliding log of measure `m` (`#` counts starts); every
 *   window counting `m` counts the entries younger than its span, so an `update()` keeps them
 * - `p:log:m:wt` hash lease → weight, for a measure other than `#`
 * - `p:pause` string: paused until (a `RateLimited` pushback); the service's own pause holds every key
 * - `p:obs`   hash  measure → `"remaining,resetAt"`: what the server reported (`observe`)
 *
 * Namespace-wide: `ns:clients` (zset client → liveness deadline) and `ns:cl:<client>` (set of
 * `p|lease` the client holds, so a dead client's leases can be freed).
 *
 * Time: `ARGV[1]` is empty (read Redis `TIME`: one clock for every process) or the caller's
 * clock (a virtual clock in tests). Times go out as `%.17g` strings: Lua numbers returned as
 * replies would be truncated to integers.
 * @module
 */

const COMMON = `
local function num(x) return string.format('%.17g', x) end
local function clock(arg)
  if arg ~= '' then return tonumber(arg) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local function costs(s)
  local out = {}
  for m, w in string.gmatch(s or '', '([^,=]+)=([^,]+)') do out[m] = tonumber(w) end
  return out
end
local function reap(ns, now)
  local dead = redis.call('ZRANGEBYSCORE', ns .. ':clients', '-inf', '(' .. num(now), 'LIMIT', 0, 3)
  for _, c in ipairs(dead) do
    local cl = ns .. ':cl:' .. c
    for _, item in ipairs(redis.call('SMEMBERS', cl)) do
      local sp, l = string.match(item, '^(.*)|([^|]*)$')
      redis.call('ZREM', sp .. ':held', l)
      local r = redis.call('HGET', sp .. ':res', l)
      if r then
        -- It may have started just before its owner died: count it as a start now (later than
        -- the real one, so still on the safe side).
        redis.call('HDEL', sp .. ':res', l)
        for m, w in pairs(costs(r)) do
          redis.call('ZADD', sp .. ':log:' .. m, num(now), l)
          if m ~= '#' then redis.call('HSET', sp .. ':log:' .. m .. ':wt', l, num(w)) end
        end
      end
    end
    redis.call('DEL', cl)
    redis.call('ZREM', ns .. ':clients', c)
  end
end
`;

/**
 * KEYS: scope prefix, namespace prefix, the service's own prefix (the same without `per`).
 * ARGV: time, client, lease, lease ms, concurrent (-1: none), cost, window count, then per
 * window measure, limit, span ms.
 * Returns `{granted, reason, retryAt, now, held, used...}` (reason: ok, paused, full, rate,
 * reserved, observed; retryAt -1 when no time is known).
 */
export const ACQUIRE = `${COMMON}
local p, ns, base = KEYS[1], KEYS[2], KEYS[3]
local now = clock(ARGV[1])
local client, lease, ttl, cap = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local cost = costs(ARGV[6])
local n = tonumber(ARGV[7])
local function weight(m) if m == '#' then return 1 end return cost[m] or 0 end
reap(ns, now)
redis.call('ZADD', ns .. ':clients', num(now + ttl), client)

local windows, longest = {}, {}
for i = 0, n - 1 do
  local w = { m = ARGV[8 + 3 * i], limit = tonumber(ARGV[9 + 3 * i]), span = tonumber(ARGV[10 + 3 * i]) }
  windows[#windows + 1] = w
  if (longest[w.m] or 0) < w.span then longest[w.m] = w.span end
end
for m, span in pairs(longest) do
  local log = p .. ':log:' .. m
  if m ~= '#' then
    local old = redis.call('ZRANGEBYSCORE', log, '-inf', num(now - span))
    if #old > 0 then redis.call('HDEL', log .. ':wt', unpack(old)) end
  end
  redis.call('ZREMRANGEBYSCORE', log, '-inf', num(now - span))
end

local held = redis.call('ZCARD', p .. ':held')
local reserved, nres = {}, 0
for _, r in ipairs(redis.call('HVALS', p .. ':res')) do
  nres = nres + 1
  for m, w in pairs(costs(r)) do reserved[m] = (reserved[m] or 0) + w end
end

-- Each window's use, and the start times (oldest first) with their weights, to find when it frees.
local used, entries = {}, {}
for i, w in ipairs(windows) do
  local log = p .. ':log:' .. w.m
  local rows = redis.call('ZRANGEBYSCORE', log, '(' .. num(now - w.span), '+inf', 'WITHSCORES')
  local list, sum = {}, 0
  local weights = nil
  if w.m ~= '#' and #rows > 0 then
    local members = {}
    for j = 1, #rows, 2 do members[#members + 1] = rows[j] end
    weights = redis.call('HMGET', log .. ':wt', unpack(members))
  end
  for j = 1, #rows, 2 do
    local wt = 1
    if weights then wt = tonumber(weights[(j + 1) / 2]) or 0 end
    list[#list + 1] = { at = tonumber(rows[j + 1]), w = wt }
    sum = sum + wt
  end
  if w.m == '#' then used[i] = sum + nres else used[i] = sum + (reserved[w.m] or 0) end
  entries[i] = list
end

local function reply(granted, reason, retry)
  local out = { granted, reason, num(retry), num(now), held }
  for i = 1, #windows do out[#out + 1] = num(used[i]) end
  return out
end

local paused = math.max(tonumber(redis.call('GET', p .. ':pause') or '0'), tonumber(redis.call('GET', base .. ':pause') or '0'))
if now < paused then return reply(0, 'paused', paused) end
if cap >= 0 and held >= cap then return reply(0, 'full', -1) end

local retry, blocked = now, false
for i, w in ipairs(windows) do
  local excess = used[i] + weight(w.m) - w.limit
  if excess > 0 then
    blocked = true
    local at = -1
    for _, e in ipairs(entries[i]) do
      excess = excess - e.w
      if excess <= 0 then at = e.at + w.span break end
    end
    if at < 0 then return reply(0, 'reserved', -1) end
    if at > retry then retry = at end
  end
end
if blocked then return reply(0, 'rate', retry) end

local obs = redis.call('HGETALL', p .. ':obs')
for j = 1, #obs, 2 do
  local remaining, reset = string.match(obs[j + 1], '^([^,]+),([^,]+)$')
  remaining, reset = tonumber(remaining), tonumber(reset)
  if reset <= now then redis.call('HDEL', p .. ':obs', obs[j])
  elseif weight(obs[j]) > remaining then return reply(0, 'observed', reset) end
end

-- Granted: a slot, and a reservation of this cost in every measure its windows count.
local parts = {}
for m, _ in pairs(longest) do parts[#parts + 1] = m .. '=' .. num(weight(m)) end
redis.call('ZADD', p .. ':held', num(now), lease)
redis.call('HSET', p .. ':res', lease, table.concat(parts, ','))
redis.call('SADD', ns .. ':cl:' .. client, p .. '|' .. lease)
for j = 1, #obs, 2 do
  local remaining, reset = string.match(obs[j + 1], '^([^,]+),([^,]+)$')
  if tonumber(reset) > now then
    redis.call('HSET', p .. ':obs', obs[j], num(tonumber(remaining) - weight(obs[j])) .. ',' .. reset)
  end
end
held = held + 1
for i, w in ipairs(windows) do used[i] = used[i] + weight(w.m) end
return reply(1, 'ok', now)
`;

/**
 * The reserved start happened: it enters the log of every measure at the script's time (after
 * the handler's synchronous part ran, so never earlier than the real start).
 * KEYS: scope prefix. ARGV: time, lease, recorded costs, log ttl ms.
 */
export const COMMIT = `${COMMON}
local p = KEYS[1]
local now = clock(ARGV[1])
local lease, ttl = ARGV[2], tonumber(ARGV[4])
if redis.call('HDEL', p .. ':res', lease) == 1 then
  for m, w in pairs(costs(ARGV[3])) do
    local log = p .. ':log:' .. m
    redis.call('ZADD', log, num(now), lease)
    redis.call('PEXPIRE', log, ttl)
    if m ~= '#' then
      redis.call('HSET', log .. ':wt', lease, num(w))
      redis.call('PEXPIRE', log .. ':wt', ttl)
    end
  end
end
return num(now)
`;

/**
 * A lease ends: a committed one frees its slot; a still-reserved one (the handler never ran)
 * also gives back its start, its cost and what it took from an observed cap.
 * KEYS: scope prefix, namespace prefix. ARGV: client, lease.
 */
export const FREE = `${COMMON}
local p, ns = KEYS[1], KEYS[2]
local client, lease = ARGV[1], ARGV[2]
local r = redis.call('HGET', p .. ':res', lease)
if r then
  redis.call('HDEL', p .. ':res', lease)
  local cost = costs(r)
  local obs = redis.call('HGETALL', p .. ':obs')
  for j = 1, #obs, 2 do
    local remaining, reset = string.match(obs[j + 1], '^([^,]+),([^,]+)$')
    local back = cost[obs[j]] or 0
    if obs[j] == '#' then back = 1 end
    redis.call('HSET', p .. ':obs', obs[j], num(tonumber(remaining) + back) .. ',' .. reset)
  end
end
redis.call('ZREM', p .. ':held', lease)
redis.call('SREM', ns .. ':cl:' .. client, p .. '|' .. lease)
return 1
`;

/**
 * A started work reported its real cost: its log entries take the new weights, and an observed
 * cap is charged the difference. KEYS: scope prefix. ARGV: lease, actual costs, estimated costs.
 */
export const REPORT = `${COMMON}
local p = KEYS[1]
local lease = ARGV[1]
local actual, estimate = costs(ARGV[2]), costs(ARGV[3])
for m, w in pairs(actual) do
  local log = p .. ':log:' .. m
  if m ~= '#' and redis.call('ZSCORE', log, lease) then redis.call('HSET', log .. ':wt', lease, num(w)) end
end
local obs = redis.call('HGETALL', p .. ':obs')
for j = 1, #obs, 2 do
  local m = obs[j]
  if actual[m] then
    local remaining, reset = string.match(obs[j + 1], '^([^,]+),([^,]+)$')
    redis.call('HSET', p .. ':obs', m, num(tonumber(remaining) - (actual[m] - (estimate[m] or 0))) .. ',' .. reset)
  end
end
return 1
`;

/** Pushback: no start before now + ms; a pause only extends. KEYS: scope prefix. ARGV: time, ms. Returns the end. */
export const PAUSE = `${COMMON}
local p = KEYS[1]
local now = clock(ARGV[1])
local untilAt = math.max(now + tonumber(ARGV[2]), tonumber(redis.call('GET', p .. ':pause') or '0'))
redis.call('SET', p .. ':pause', num(untilAt), 'PX', math.max(1, math.ceil(untilAt - now) + 1))
return num(untilAt)
`;

/** What the server reported. KEYS: scope prefix. ARGV: time, measure (`#`: starts), remaining, ms until reset. */
export const OBSERVE = `${COMMON}
local p = KEYS[1]
local now = clock(ARGV[1])
local ms = tonumber(ARGV[4])
redis.call('HSET', p .. ':obs', ARGV[2], ARGV[3] .. ',' .. num(now + ms))
if redis.call('PTTL', p .. ':obs') < ms then redis.call('PEXPIRE', p .. ':obs', math.ceil(ms) + 1000) end
return num(now)
`;

/** The client is alive until now + lease ms; frees a few dead clients' leases. KEYS: namespace prefix. ARGV: time, client, lease ms. */
export const HEARTBEAT = `${COMMON}
local ns = KEYS[1]
local now = clock(ARGV[1])
reap(ns, now)
redis.call('ZADD', ns .. ':clients', num(now + tonumber(ARGV[3])), ARGV[2])
return num(now)
`;

/** The client leaves: gives back every lease it still holds. KEYS: namespace prefix. ARGV: client. */
export const LEAVE = `${COMMON}
local ns = KEYS[1]
local cl = ns .. ':cl:' .. ARGV[1]
for _, item in ipairs(redis.call('SMEMBERS', cl)) do
  local sp, l = string.match(item, '^(.*)|([^|]*)$')
  redis.call('ZREM', sp .. ':held', l)
  redis.call('HDEL', sp .. ':res', l)
end
redis.call('DEL', cl)
redis.call('ZREM', ns .. ':clients', ARGV[1])
return 1
`;
