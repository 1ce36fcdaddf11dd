/**
 * The scripts of a start's lifecycle, one per operation: acquire, commit, free, report, pause,
 * observe. The keys they use are listed in `lua.ts`.
 * @module
 */
import { COMMON } from "./lua.js";

/**
 * One start through every part of a lane (each service, or one key of a service with `per`,
 * and a submit key's claim), granted in all of them or in none.
 * KEYS: namespace prefix, then per part its scope prefix and its service's own prefix (the same
 * without `per`). ARGV: time, client, lease ms, known epoch, fresh epoch, part count, leases
 * wanted (a batch: each of this cost), then per part: lease, limits (JSON), `set` to register
 * them over another process's (an `update()`) or `check`, concurrent (-1: none), cost, window
 * count, then per window measure, limit, span ms. Grants as many leases as fit every part (at
 * least one): `lease`, `lease.2`, `lease.3`... in each part.
 * Returns `{granted, reason, retryAt, now, epoch, part, then per part: held, window count,
 * used...}` (reason: ok, paused, full, rate, reserved, observed, stale, reseeding, conflict;
 * part: the 1-based part the reason is about, 0 for none; retryAt -1 when no time is known, and
 * for conflict the limits registered; stale, reseeding and conflict have no per-part sections).
 */
export const ACQUIRE = `${COMMON}
local ns = KEYS[1]
local client, ttl = ARGV[2], tonumber(ARGV[3])
local now, epoch, state, reseed = enter(ns, clock(ARGV[1]), ARGV[4], ARGV[5], ttl)
local nparts, want = tonumber(ARGV[6]), tonumber(ARGV[7])
redis.call('ZADD', ns .. ':clients', num(now + ttl), client)
if state == 'stale' or state == 'reseeding' then return { 0, state, num(reseed), num(now), epoch, 0 } end
reap(ns, now)

local parts, a = {}, 8
for i = 1, nparts do
  local part = { p = KEYS[2 * i], base = KEYS[2 * i + 1], lease = ARGV[a], limits = ARGV[a + 1], mode = ARGV[a + 2], cap = tonumber(ARGV[a + 3]), cost = costs(ARGV[a + 4]), windows = {}, longest = {} }
  local n = tonumber(ARGV[a + 5])
  a = a + 6
  for _ = 1, n do
    local w = { m = ARGV[a], limit = tonumber(ARGV[a + 1]), span = tonumber(ARGV[a + 2]) }
    part.windows[#part.windows + 1] = w
    if (part.longest[w.m] or 0) < w.span then part.longest[w.m] = w.span end
    a = a + 3
  end
  parts[i] = part
  local cfg = redis.call('GET', part.base .. ':cfg')
  if cfg and cfg ~= part.limits and part.mode ~= 'set' then return { 0, 'conflict', cfg, num(now), epoch, i } end
  redis.call('SET', part.base .. ':cfg', part.limits, 'PX', ttl)
end

local function weight(part, m) if m == '#' then return 1 end return part.cost[m] or 0 end

-- Each part's state: slots held, each window's use (reservations included) and its entries
-- (oldest first, with their weights) to find when it frees, and the observed caps.
local function measure(part)
  local p = part.p
  for m, span in pairs(part.longest) do
    local log = p .. ':log:' .. m
    if m ~= '#' then
      local old = redis.call('ZRANGEBYSCORE', log, '-inf', num(now - span))
      if #old > 0 then redis.call('HDEL', log .. ':wt', unpack(old)) end
    end
    redis.call('ZREMRANGEBYSCORE', log, '-inf', num(now - span))
  end
  part.held = redis.call('ZCARD', p .. ':held')
  local reserved, nres = {}, 0
  for _, r in ipairs(redis.call('HVALS', p .. ':res')) do
    nres = nres + 1
    for m, w in pairs(costs(r)) do reserved[m] = (reserved[m] or 0) + w end
  end
  part.used, part.entries = {}, {}
  for i, w in ipairs(part.windows) do
    local log = p .. ':log:' .. w.m
    local rows = redis.call('ZRANGEBYSCORE', log, '(' .. num(now - w.span), '+inf', 'WITHSCORES')
    local list, sum, weights = {}, 0, nil
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
    if w.m == '#' then part.used[i] = sum + nres else part.used[i] = sum + (reserved[w.m] or 0) end
    part.entries[i] = list
  end
  part.obs = redis.call('HGETALL', p .. ':obs')
end

-- Why the part cannot start one more now (reason, retryAt or -1), or nil.
local function verdict(part)
  local p = part.p
  local paused = math.max(tonumber(redis.call('GET', p .. ':pause') or '0'), tonumber(redis.call('GET', part.base .. ':pause') or '0'))
  if now < paused then return 'paused', paused end
  if part.cap >= 0 and part.held >= part.cap then return 'full', -1 end
  local retry, blocked = now, false
  for i, w in ipairs(part.windows) do
    local excess = part.used[i] + weight(part, w.m) - w.limit
    if excess > 0 then
      blocked = true
      local at = -1
      for _, e in ipairs(part.entries[i]) do
        excess = excess - e.w
        if excess <= 0 then at = e.at + w.span break end
      end
      if at < 0 then return 'reserved', -1 end
      if at > retry then retry = at end
    end
  end
  if blocked then return 'rate', retry end
  local obs = part.obs
  for j = 1, #obs, 2 do
    local remaining, reset = string.match(obs[j + 1], '^([^,]+),([^,]+)$')
    remaining, reset = tonumber(remaining), tonumber(reset)
    if reset <= now then redis.call('HDEL', p .. ':obs', obs[j])
    elseif weight(part, obs[j]) > remaining then return 'observed', reset end
  end
  return nil
end

local function reply(granted, reason, retry, at)
  local out = { granted, reason, num(retry), num(now), epoch, at }
  for _, part in ipairs(parts) do
    out[#out + 1] = part.held
    out[#out + 1] = #part.windows
    for i = 1, #part.windows do out[#out + 1] = num(part.used[i]) end
  end
  return out
end

-- The part that blocks: one with no known end (a finish must free it) before any with a time;
-- among those with a time, the latest (nothing fits before it).
local blocking, why, retry = 0, nil, -1
for i, part in ipairs(parts) do
  measure(part)
  local reason, at = verdict(part)
  if reason and blocking == 0 or (reason and retry >= 0 and (at < 0 or at > retry)) then
    blocking, why, retry = i, reason, at
  end
end
if blocking > 0 then
  -- A contender for the next free capacity (fair share of a batch, below), and for a bell when
  -- only a finish frees it.
  local p = parts[blocking].p
  redis.call('ZADD', p .. ':want', num(now), client)
  redis.call('PEXPIRE', p .. ':want', 10000)
  if why == 'full' or why == 'reserved' then
    redis.call('ZADD', p .. ':wait', num(now), client)
    redis.call('PEXPIRE', p .. ':wait', 60000)
  end
  return reply(0, why, retry, blocking)
end

-- Granted: as many leases as wanted and fit every limit of every part (at least one: checked
-- above), each a slot and a reservation of the part's cost in every measure its windows count.
local g, others = want, 0
for _, part in ipairs(parts) do
  if part.cap >= 0 then g = math.min(g, part.cap - part.held) end
  for i, w in ipairs(part.windows) do
    local wt = weight(part, w.m)
    if wt > 0 then g = math.min(g, math.floor((w.limit - part.used[i]) / wt)) end
  end
  local obs = part.obs
  for j = 1, #obs, 2 do
    local remaining, reset = string.match(obs[j + 1], '^([^,]+),([^,]+)$')
    local wt = weight(part, obs[j])
    if tonumber(reset) > now and wt > 0 then g = math.min(g, math.floor(tonumber(remaining) / wt)) end
  end
  -- Fair share: while other processes were refused here in the last second, a batch takes only
  -- its share of what fits, so that one process does not take a whole window at its edge.
  redis.call('ZREM', part.p .. ':want', client)
  others = math.max(others, redis.call('ZCOUNT', part.p .. ':want', num(now - 1000), '+inf'))
end
if others > 0 then g = math.min(g, math.ceil(g / (others + 1))) end
if g < 1 then g = 1 end
for _, part in ipairs(parts) do
  local p = part.p
  local items = {}
  for m, _ in pairs(part.longest) do items[#items + 1] = m .. '=' .. num(weight(part, m)) end
  local reservation = table.concat(items, ',')
  redis.call('ZREM', p .. ':wait', client)
  for k = 1, g do
    local l = part.lease
    if k > 1 then l = l .. '.' .. k end
    redis.call('ZADD', p .. ':held', num(now), l)
    redis.call('HSET', p .. ':res', l, reservation)
    redis.call('SADD', ns .. ':cl:' .. client, p .. '|' .. l)
  end
  local obs = part.obs
  for j = 1, #obs, 2 do
    local remaining, reset = string.match(obs[j + 1], '^([^,]+),([^,]+)$')
    if tonumber(reset) > now then
      redis.call('HSET', p .. ':obs', obs[j], num(tonumber(remaining) - g * weight(part, obs[j])) .. ',' .. reset)
    end
  end
  part.held = part.held + g
  for i, w in ipairs(part.windows) do part.used[i] = part.used[i] + g * weight(part, w.m) end
end
return reply(g, 'ok', now, 0)
`;

/**
 * The reserved start happened: it enters the log of every measure at the script's time (after
 * the handler's synchronous part ran, so never earlier than the real start). A lease already in
 * a log stays as it is (a commit sent twice, or a reservation its dead owner's reaping counted);
 * one whose reservation Redis lost (a restart) is still recorded, at this later time.
 * KEYS: scope prefix. ARGV: time, lease, recorded costs, log ttl ms, `1` to also append the
 * start's time to the scope's audit list `p:starts` and its recorded costs to `p:costs` (in the
 * same order), and keep the time by lease in `p:audit` (the store's `audit` option). Returns the time recorded.
 */
export const COMMIT = `${COMMON}
local p = KEYS[1]
local now = clock(ARGV[1])
local lease, ttl = ARGV[2], tonumber(ARGV[4])
if redis.call('HDEL', p .. ':res', lease) == 1 then ring(p, now) end
local added = false
for m, w in pairs(costs(ARGV[3])) do
  local log = p .. ':log:' .. m
  if redis.call('ZADD', log, 'NX', num(now), lease) == 1 then
    added = true
    if m ~= '#' then
      redis.call('HSET', log .. ':wt', lease, num(w))
      redis.call('PEXPIRE', log .. ':wt', ttl)
    end
  end
  redis.call('PEXPIRE', log, ttl)
end
if added and ARGV[5] == '1' then
  redis.call('RPUSH', p .. ':starts', num(now))
  redis.call('RPUSH', p .. ':costs', ARGV[3])
  redis.call('HSET', p .. ':audit', lease, num(now))
end
return num(now)
`;

/**
 * A lease ends: a committed one frees its slot; a still-reserved one (the handler never ran)
 * also gives back its start, its cost and what it took from an observed cap.
 * KEYS: scope prefix, namespace prefix. ARGV: client, lease, time, `1` to append
 * `<start> <end>` of an audited start to the scope's list `p:spans` (the store's `audit` option).
 */
export const FREE = `${COMMON}
local p, ns = KEYS[1], KEYS[2]
local client, lease = ARGV[1], ARGV[2]
local now = clock(ARGV[3])
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
if redis.call('ZREM', p .. ':held', lease) == 1 then
  ring(p, now)
  if ARGV[4] == '1' then
    local started = redis.call('HGET', p .. ':audit', lease)
    if started then
      redis.call('HDEL', p .. ':audit', lease)
      redis.call('RPUSH', p .. ':spans', started .. ' ' .. num(now))
    end
  end
end
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

