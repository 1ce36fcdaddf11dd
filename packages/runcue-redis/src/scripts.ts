/**
 * The scripts of a start's lifecycle, one per operation: acquire, commit, free, report, pause,
 * observe. The keys they use are listed in `lua.ts`.
 * @module
 */
import { COMMON } from "./lua.js";

/**
 * KEYS: scope prefix, namespace prefix, the service's own prefix (the same without `per`).
 * ARGV: time, client, lease, lease ms, known epoch, fresh epoch, limits (JSON), `set` to
 * register them over another process's (an `update()`) or `check`, concurrent (-1: none), cost,
 * window count, leases wanted (a batch: each of this cost), then per window measure, limit,
 * span ms. Grants as many leases as wanted and fit (`lease`, `lease.2`, `lease.3`...), at least one.
 * Returns `{granted, reason, retryAt, now, held, epoch, used...}` (reason: ok, paused, full,
 * rate, reserved, observed, stale, reseeding, conflict; retryAt -1 when no time is known; for
 * conflict it is the limits registered).
 */
export const ACQUIRE = `${COMMON}
local p, ns, base = KEYS[1], KEYS[2], KEYS[3]
local client, lease, ttl = ARGV[2], ARGV[3], tonumber(ARGV[4])
local now, epoch, state, reseed = enter(ns, clock(ARGV[1]), ARGV[5], ARGV[6], ttl)
local cap = tonumber(ARGV[9])
local cost = costs(ARGV[10])
local n = tonumber(ARGV[11])
local want = tonumber(ARGV[12])
local function weight(m) if m == '#' then return 1 end return cost[m] or 0 end
redis.call('ZADD', ns .. ':clients', num(now + ttl), client)
if state == 'stale' then return { 0, 'stale', num(reseed), num(now), 0, epoch } end
if state == 'reseeding' then return { 0, 'reseeding', num(reseed), num(now), 0, epoch } end
reap(ns, now)

local cfg = redis.call('GET', base .. ':cfg')
if cfg and cfg ~= ARGV[7] and ARGV[8] ~= 'set' then return { 0, 'conflict', cfg, num(now), 0, epoch } end
redis.call('SET', base .. ':cfg', ARGV[7], 'PX', ttl)

local windows, longest = {}, {}
for i = 0, n - 1 do
  local w = { m = ARGV[13 + 3 * i], limit = tonumber(ARGV[14 + 3 * i]), span = tonumber(ARGV[15 + 3 * i]) }
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
  if granted == 0 then
    -- A contender for the next free capacity (fair share of a batch, below).
    redis.call('ZADD', p .. ':want', num(now), client)
    redis.call('PEXPIRE', p .. ':want', 10000)
  end
  if granted == 0 and (reason == 'full' or reason == 'reserved') then
    redis.call('ZADD', p .. ':wait', num(now), client)
    redis.call('PEXPIRE', p .. ':wait', 60000)
  end
  local out = { granted, reason, num(retry), num(now), held, epoch }
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

-- Granted: as many leases as wanted and fit every limit (at least one: checked above), each a
-- slot and a reservation of this cost in every measure its windows count.
local g = want
if cap >= 0 then g = math.min(g, cap - held) end
for i, w in ipairs(windows) do
  local wt = weight(w.m)
  if wt > 0 then g = math.min(g, math.floor((w.limit - used[i]) / wt)) end
end
for j = 1, #obs, 2 do
  local remaining, reset = string.match(obs[j + 1], '^([^,]+),([^,]+)$')
  local wt = weight(obs[j])
  if tonumber(reset) > now and wt > 0 then g = math.min(g, math.floor(tonumber(remaining) / wt)) end
end
-- Fair share: while other processes were refused here in the last second, a batch takes only
-- its share of what fits, so that one process does not take a whole window at its edge.
redis.call('ZREM', p .. ':want', client)
local others = redis.call('ZCOUNT', p .. ':want', num(now - 1000), '+inf')
if others > 0 then g = math.min(g, math.ceil(g / (others + 1))) end
if g < 1 then g = 1 end
local parts = {}
for m, _ in pairs(longest) do parts[#parts + 1] = m .. '=' .. num(weight(m)) end
local reservation = table.concat(parts, ',')
redis.call('ZREM', p .. ':wait', client)
for k = 1, g do
  local l = lease
  if k > 1 then l = lease .. '.' .. k end
  redis.call('ZADD', p .. ':held', num(now), l)
  redis.call('HSET', p .. ':res', l, reservation)
  redis.call('SADD', ns .. ':cl:' .. client, p .. '|' .. l)
end
for j = 1, #obs, 2 do
  local remaining, reset = string.match(obs[j + 1], '^([^,]+),([^,]+)$')
  if tonumber(reset) > now then
    redis.call('HSET', p .. ':obs', obs[j], num(tonumber(remaining) - g * weight(obs[j])) .. ',' .. reset)
  end
end
held = held + g
for i, w in ipairs(windows) do used[i] = used[i] + g * weight(w.m) end
return reply(g, 'ok', now)
`;

/**
 * The reserved start happened: it enters the log of every measure at the script's time (after
 * the handler's synchronous part ran, so never earlier than the real start). A lease already in
 * a log stays as it is (a commit sent twice, or a reservation its dead owner's reaping counted);
 * one whose reservation Redis lost (a restart) is still recorded, at this later time.
 * KEYS: scope prefix. ARGV: time, lease, recorded costs, log ttl ms. Returns the time recorded.
 */
export const COMMIT = `${COMMON}
local p = KEYS[1]
local now = clock(ARGV[1])
local lease, ttl = ARGV[2], tonumber(ARGV[4])
if redis.call('HDEL', p .. ':res', lease) == 1 then ring(p, now) end
for m, w in pairs(costs(ARGV[3])) do
  local log = p .. ':log:' .. m
  if redis.call('ZADD', log, 'NX', num(now), lease) == 1 and m ~= '#' then
    redis.call('HSET', log .. ':wt', lease, num(w))
    redis.call('PEXPIRE', log .. ':wt', ttl)
  end
  redis.call('PEXPIRE', log, ttl)
end
return num(now)
`;

/**
 * A lease ends: a committed one frees its slot; a still-reserved one (the handler never ran)
 * also gives back its start, its cost and what it took from an observed cap.
 * KEYS: scope prefix, namespace prefix. ARGV: client, lease, time.
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
if redis.call('ZREM', p .. ':held', lease) == 1 then ring(p, now) end
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

