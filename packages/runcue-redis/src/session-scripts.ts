/**
 * The scripts of a process's session with Redis: heartbeat, leave, reseed (push its state back
 * after Redis lost it), register (a service's limits), poke (wake its own bell listener).
 * The keys they use are listed in `lua.ts`.
 * @module
 */
import { COMMON } from "./lua.js";

/**
 * The client is alive until now + lease ms; frees a few dead clients' leases.
 * KEYS: namespace prefix. ARGV: time, client, lease ms, known epoch, fresh epoch.
 * Returns `{now, epoch, state, reseedUntil, wasAlive}` (state: ok, stale, reseeding; wasAlive 0
 * when the client had no deadline: new, reaped while cut off, or Redis lost its state).
 */
export const HEARTBEAT = `${COMMON}
local ns = KEYS[1]
local ttl = tonumber(ARGV[3])
local now, epoch, state, reseed = enter(ns, clock(ARGV[1]), ARGV[4], ARGV[5], ttl)
if state == 'ok' then reap(ns, now) end
local alive = 0
if redis.call('ZSCORE', ns .. ':clients', ARGV[2]) then alive = 1 end
redis.call('ZADD', ns .. ':clients', num(now + ttl), ARGV[2])
return { num(now), epoch, state, num(reseed), alive }
`;

/** The client leaves: gives back every lease it still holds. KEYS: namespace prefix. ARGV: client, time. */
export const LEAVE = `${COMMON}
local ns = KEYS[1]
local now = clock(ARGV[2])
local cl = ns .. ':cl:' .. ARGV[1]
for _, item in ipairs(redis.call('SMEMBERS', cl)) do
  local sp, l = string.match(item, '^(.*)|([^|]*)$')
  redis.call('ZREM', sp .. ':held', l)
  redis.call('HDEL', sp .. ':res', l)
  ring(sp, now)
end
redis.call('DEL', cl)
redis.call('ZREM', ns .. ':clients', ARGV[1])
return 1
`;

/**
 * The client pushes back what it knows of the shared state, after Redis lost it (or reaped the
 * client while it was cut off): its starts still inside their windows (at the times Redis gave
 * them), the slots and reservations it holds, its pauses. Entries already there stay as they are.
 * KEYS: namespace prefix. ARGV: time, client, lease ms, JSON
 * `{starts: [[p, lease, at, costs, ttl]], held: [[p, lease, reservedCosts]], pauses: [[p, until]], fresh, open?}`;
 * `open` (a restarted server's run id) opens a reseed period of half a lease, once for that id;
 * `fresh` is the epoch to write when none is there. Returns the epoch.
 */
export const RESEED = `${COMMON}
local ns = KEYS[1]
local now = clock(ARGV[1])
local client, ttl = ARGV[2], tonumber(ARGV[3])
local d = cjson.decode(ARGV[4])
local meta = ns .. ':meta'
local epoch = redis.call('HGET', meta, 'epoch')
if not epoch then
  -- Found empty: a loss, and this push opens its reseed period (the epoch's own).
  epoch = d.fresh
  redis.call('HSET', meta, 'epoch', epoch, 'opened', epoch, 'reseedUntil', num(now + ttl / 2))
end
if d.open and redis.call('HGET', meta, 'openedRun') ~= d.open then
  redis.call('HSET', meta, 'reseedUntil', num(math.max(now + ttl / 2, tonumber(redis.call('HGET', meta, 'reseedUntil') or '0'))), 'openedRun', d.open)
end
for _, s in ipairs(d.starts) do
  local p, lease, at, span = s[1], s[2], tonumber(s[3]), tonumber(s[5])
  if at + span > now then
    for m, w in pairs(costs(s[4])) do
      local log = p .. ':log:' .. m
      if redis.call('ZADD', log, 'NX', num(at), lease) == 1 and m ~= '#' then
        redis.call('HSET', log .. ':wt', lease, num(w))
        redis.call('PEXPIRE', log .. ':wt', span)
      end
      if redis.call('PTTL', log) < span then redis.call('PEXPIRE', log, span) end
    end
  end
end
for _, h in ipairs(d.held) do
  local p, lease = h[1], h[2]
  redis.call('ZADD', p .. ':held', 'NX', num(now), lease)
  redis.call('SADD', ns .. ':cl:' .. client, p .. '|' .. lease)
  if h[3] ~= '' then redis.call('HSETNX', p .. ':res', lease, h[3]) end
end
for _, q in ipairs(d.pauses) do
  local key, untilAt = q[1] .. ':pause', tonumber(q[2])
  if untilAt > now and untilAt > tonumber(redis.call('GET', key) or '0') then
    redis.call('SET', key, num(untilAt), 'PX', math.ceil(untilAt - now) + 1)
  end
end
redis.call('ZADD', ns .. ':clients', num(now + ttl), client)
return epoch
`;

/**
 * Registers a service's limits, or says which other limits are registered.
 * KEYS: the service's prefix. ARGV: limits (JSON), `set` (over others: an `update()`) or
 * `check`, lease ms. Returns `""` or the limits registered by another cue.
 */
export const REGISTER = `
local key = KEYS[1] .. ':cfg'
local cfg = redis.call('GET', key)
if cfg and cfg ~= ARGV[1] and ARGV[2] ~= 'set' then return cfg end
redis.call('SET', key, ARGV[1], 'PX', tonumber(ARGV[3]))
return ''
`;

/** Wakes this client's bell listener (it blocks on a new set of bells). KEYS: the poke list. */
export const POKE = `
redis.call('RPUSH', KEYS[1], '1')
redis.call('PEXPIRE', KEYS[1], 60000)
return 1
`;
