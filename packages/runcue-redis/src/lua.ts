/**
 * Lua shared by the scripts (`scripts.ts`, `session-scripts.ts`). Each script runs atomically on
 * the Redis server and touches only keys under the namespace's hash tag (`{runcue:<namespace>}`),
 * so a namespace lives on one shard of a Redis Cluster. The keys of one scope (a service, or one
 * key of a service with `per`), below its prefix `p`:
 *
 * - `p:held`  zset  lease → acquire time: the concurrency slots (running or reserved)
 * - `p:res`   hash  lease → `"#=1,tokens=1200"`: reservations not yet committed, with their cost
 * - `p:log:m` zset  lease → start time: the sliding log of measure `m` (`#` counts starts); every
 *   window counting `m` counts the entries younger than its span, so an `update()` keeps them
 * - `p:log:m:wt` hash lease → weight, for a measure other than `#`
 * - `p:pause` string: paused until (a `RateLimited` pushback); the service's own pause holds every key
 * - `p:obs`   hash  measure → `"remaining,resetAt"`: what the server reported (`observe`)
 * - `p:wait`  zset  client → time: processes waiting for a slot with no known end (full, reserved)
 * - `p:want`  zset  client → time: processes refused here lately (a batch takes a fair share while they wait)
 * - `p:bell`  list  tokens rung for them when a slot frees (each process `BLPOP`s the bells it waits on)
 * - `p:cfg`   string: the service's limits as registered (the service's own prefix only)
 *
 * Namespace-wide: `ns:clients` (zset client → liveness deadline), `ns:cl:<client>` (set of
 * `p|lease` the client holds, so a dead client's leases can be freed) and `ns:meta` (hash:
 * `epoch`, a random id whose change means Redis lost its state; `lastNow`, the monotonic time
 * guard; `noReapUntil`, the outage compensation; `reseedUntil` and `opened`, the reseed period).
 *
 * Time: the time argument is empty (read Redis `TIME`: one clock for every process) or the
 * caller's clock (a virtual clock in tests). Times go out as `%.17g` strings: Lua numbers
 * returned as replies would be truncated to integers.
 * @module
 */

export const COMMON = `
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
-- A slot or reservation of scope p freed: wake one waiting process (FIFO among BLPOPs).
local function ring(p, now)
  local wait = p .. ':wait'
  redis.call('ZREMRANGEBYSCORE', wait, '-inf', num(now - 60000))
  local waiting = redis.call('ZCARD', wait)
  if waiting > 0 and redis.call('LLEN', p .. ':bell') < waiting then
    redis.call('RPUSH', p .. ':bell', '1')
    redis.call('PEXPIRE', p .. ':bell', 60000)
  end
end
-- Frees the leases of a few clients whose deadline passed, unless an outage is being compensated.
local function reap(ns, now)
  local noReap = tonumber(redis.call('HGET', ns .. ':meta', 'noReapUntil') or '0')
  if now < noReap then return end
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
          redis.call('ZADD', sp .. ':log:' .. m, 'NX', num(now), l)
          if m ~= '#' then redis.call('HSET', sp .. ':log:' .. m .. ':wt', l, num(w)) end
        end
      end
      ring(sp, now)
    end
    redis.call('DEL', cl)
    redis.call('ZREM', ns .. ':clients', c)
  end
end
-- Every acquire and heartbeat enters here: the monotonic time guard, state-loss detection (the
-- epoch) and outage compensation. known: the epoch the caller last saw ('' if none yet);
-- fresh: a new random epoch to write when none is there; ttl: the caller's lease ms.
-- Returns now, the epoch, the caller's state ('ok', 'stale': it must push its state back,
-- 'reseeding') and the end of the reseed period.
local function enter(ns, now, known, fresh, ttl)
  local meta = ns .. ':meta'
  local m = redis.call('HMGET', meta, 'epoch', 'lastNow', 'reseedUntil', 'opened')
  local epoch, last, reseed, opened = m[1], tonumber(m[2]), tonumber(m[3] or '0'), m[4]
  if last and now < last then now = last end
  if not epoch then
    epoch = fresh
    redis.call('HSET', meta, 'epoch', epoch)
  end
  -- No script ran for half a lease (Redis frozen, restarting, unreachable for everyone): every
  -- live process gets a full lease to heartbeat again before anyone's slots are reaped.
  if last and now - last > ttl / 2 then redis.call('HSET', meta, 'noReapUntil', num(now + ttl)) end
  redis.call('HSET', meta, 'lastNow', num(now))
  local state = 'ok'
  if known ~= '' and known ~= epoch then
    -- Redis lost its state since the caller last saw it: the first to notice opens a reseed
    -- period long enough for every live process (heartbeat every third of a lease) to push its
    -- starts back, before anyone starts again.
    if opened ~= epoch then
      reseed = now + ttl / 2
      redis.call('HSET', meta, 'reseedUntil', num(reseed), 'opened', epoch)
    end
    state = 'stale'
  elseif now < reseed then
    state = 'reseeding'
  end
  return now, epoch, state, reseed
end
`;
