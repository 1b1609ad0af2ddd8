/**
 * The Lua scripts of the Redis engine. Each runs atomically in Redis, which is what the exactly-once
 * argument rests on (see PROTOCOL.md, "Cluster guarantees", and this package's README):
 * offsets are assigned, stored and published in one step, presence changes and their events too.
 *
 * Keys (P = the prefix, default `herald:`): `P m:<topic>` meta hash (`e` epoch, `o` last offset,
 * `g` generation), `P s:<topic>` stream (entry id `<offset>-0`, field `r` = record), `P d:<topic>:<pid>`
 * publish dedupe, `P ix` zset topic → last publish ms, `P gen` generation, `P runid` last master
 * run_id, `P pm:<topic>` presence hash (id → `seq LF node LF member-json`), `P pv:<topic>` presence
 * version, `P nodes` zset node → lease deadline (Redis ms), `P node:<n>:pm` set of `topic LF id` the
 * node's members, `P node:<n>:clients` hash of its clients, `P rpc:<method>` hash node → that node's
 * providers of the method, `P rpc:methods` set of the methods some node provides, `P node:<n>:rpc`
 * set of the methods the node provides. Channels: `P c:<topic>` publications, `P p` presence
 * events, `P ev` cluster events (provider counts, dead nodes), `P n:<node>` the node's inbox
 * (heartbeat ticks, routed requests).
 * The scripts build some keys from the prefix (presence joins and leaves, a dead node's presence):
 * standalone Redis and Sentinel only, not Redis Cluster.
 */

/** Starts a new epoch when the topic has none, or one from an older generation. Shared prologue. */
const ROTATE = `
local function rotate(meta, stream, gen, newEpoch)
  local m = redis.call('HMGET', meta, 'e', 'g')
  if m[1] and m[2] == gen then return m[1], false end
  redis.call('DEL', stream)
  redis.call('HSET', meta, 'e', newEpoch, 'g', gen, 'o', 0)
  return newEpoch, true
end
`;

/**
 * KEYS: meta, stream, index, gen, dedupe ('' for none).
 * ARGV: topic, channel, record, limit, ttlMs, newEpoch, at, dedupeMs, metaTtlMs.
 * Returns `{ "epoch:offset", duplicate (0|1) }`.
 */
export const PUBLISH = `${ROTATE}
if KEYS[5] ~= '' then
  local prior = redis.call('GET', KEYS[5])
  if prior then return {prior, 1} end
end
local gen = redis.call('GET', KEYS[4]) or '0'
local e = rotate(KEYS[1], KEYS[2], gen, ARGV[6])
local o = redis.call('HINCRBY', KEYS[1], 'o', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[9])
local limit = tonumber(ARGV[4])
if limit > 0 then
  redis.call('XADD', KEYS[2], 'MAXLEN', limit, o .. '-0', 'r', ARGV[3])
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
end
redis.call('ZADD', KEYS[3], ARGV[7], ARGV[1])
redis.call('PUBLISH', ARGV[2], e .. '\\n' .. o .. '\\n' .. ARGV[3])
local stamp = e .. ':' .. o
if KEYS[5] ~= '' then redis.call('SET', KEYS[5], stamp, 'PX', ARGV[8]) end
return {stamp, 0}
`;

/**
 * KEYS: meta, stream, gen, index. ARGV: mode (after|last|all), arg, newEpoch, topic.
 * Returns `{}` when the topic is unknown, else `{ epoch, lastOffset, firstEntry[], entries[], lastPublishAt }`.
 * A topic of an older generation (Redis may have lost writes since) gets its new epoch here.
 */
export const HISTORY = `${ROTATE}
if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
local gen = redis.call('GET', KEYS[3]) or '0'
local e = rotate(KEYS[1], KEYS[2], gen, ARGV[3])
local o = redis.call('HGET', KEYS[1], 'o')
local first = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)
local entries
if ARGV[1] == 'after' then
  entries = redis.call('XRANGE', KEYS[2], '(' .. ARGV[2] .. '-0', '+')
elseif ARGV[1] == 'last' then
  entries = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', ARGV[2])
else
  entries = redis.call('XRANGE', KEYS[2], '-', '+')
end
return {e, o, first, entries, redis.call('ZSCORE', KEYS[4], ARGV[4])}
`;

/**
 * ARGV: node, channel, prefix, then `topic, id, member-json` per member (presence-joins.ts: the
 * joins of one turn of the event loop). Joins each member in order, publishing each join's event,
 * and returns one result per member: 1 when it joined, 0 when it was there already, or the error's
 * text when its join failed (the others still happen). A member that another node holds (the same
 * client resumed its session here) moves to this node silently: only this node's leave, or its
 * death, ends it now.
 */
export const JOINS = `
local function joinOne(prefix, node, channel, topic, id, member)
  local members = prefix .. 'pm:' .. topic
  local mine = prefix .. 'node:' .. node .. ':pm'
  local prior = redis.call('HGET', members, id)
  if prior then
    local a = string.find(prior, '\\n', 1, true)
    local b = string.find(prior, '\\n', a + 1, true)
    local holder = string.sub(prior, a + 1, b - 1)
    if holder == node then return 0 end
    redis.call('HSET', members, id, string.sub(prior, 1, a) .. node .. '\\n' .. member)
    redis.call('SREM', prefix .. 'node:' .. holder .. ':pm', topic .. '\\n' .. id)
    redis.call('SADD', mine, topic .. '\\n' .. id)
    return 0
  end
  local v = redis.call('INCR', prefix .. 'pv:' .. topic)
  redis.call('HSET', members, id, v .. '\\n' .. node .. '\\n' .. member)
  redis.call('SADD', mine, topic .. '\\n' .. id)
  redis.call('PUBLISH', channel, 'j\\n' .. topic .. '\\n' .. v .. '\\n' .. node .. '\\n' .. member)
  return 1
end
local results = {}
for i = 4, #ARGV, 3 do
  local ok, result = pcall(joinOne, ARGV[3], ARGV[1], ARGV[2], ARGV[i], ARGV[i + 1], ARGV[i + 2])
  if ok then
    results[#results + 1] = result
  elseif type(result) == 'table' and result.err then
    results[#results + 1] = tostring(result.err)
  else
    results[#results + 1] = tostring(result)
  end
end
return results
`;

/** Removes one member and publishes its leave; shared by LEAVE and REAP. */
const LEAVE_ONE = `
local function leaveOne(prefix, topic, id, reason, channel, onlyNode)
  local members = prefix .. 'pm:' .. topic
  local value = redis.call('HGET', members, id)
  if not value then return 0 end
  local a = string.find(value, '\\n', 1, true)
  local b = string.find(value, '\\n', a + 1, true)
  local node = string.sub(value, a + 1, b - 1)
  if onlyNode and node ~= onlyNode then return 0 end
  local member = string.sub(value, b + 1)
  redis.call('HDEL', members, id)
  local version = prefix .. 'pv:' .. topic
  local v = redis.call('INCR', version)
  if redis.call('HLEN', members) == 0 then redis.call('DEL', members, version) end
  redis.call('SREM', prefix .. 'node:' .. node .. ':pm', topic .. '\\n' .. id)
  redis.call('PUBLISH', channel, 'l\\n' .. topic .. '\\n' .. v .. '\\n' .. node .. '\\n' .. reason .. '\\n' .. member)
  return 1
end
`;

/**
 * Takes a node's providers out of the request registry: each method it provided loses the node's
 * entry, and leaves \`rpc:methods\` when no node provides it any more. Shared by REAP and RESIGN.
 */
const DROP_RPC = `
local function dropRpc(prefix, node)
  local mine = prefix .. 'node:' .. node .. ':rpc'
  for _, method in ipairs(redis.call('SMEMBERS', mine)) do
    local hash = prefix .. 'rpc:' .. method
    redis.call('HDEL', hash, node)
    if redis.call('EXISTS', hash) == 0 then redis.call('SREM', prefix .. 'rpc:methods', method) end
  end
  redis.call('DEL', mine)
end
`;

/**
 * KEYS: method hash, methods set, node's methods set. ARGV: node, method, providers, value, events channel.
 * Records how many providers of a method the node has (`value` = \`count LF peers-json\`) and
 * publishes it; at 0 the node's entry goes, and the method leaves the methods set when no node
 * provides it any more, so the registry holds only what live nodes provide.
 */
export const ANNOUNCE = `
if tonumber(ARGV[3]) > 0 then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
  redis.call('SADD', KEYS[2], ARGV[2])
  redis.call('SADD', KEYS[3], ARGV[2])
else
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('SREM', KEYS[3], ARGV[2])
  if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[2]) end
end
redis.call('PUBLISH', ARGV[5], 'rpc\\n' .. ARGV[2] .. '\\n' .. ARGV[1] .. '\\n' .. ARGV[4])
`;

/**
 * ARGV: prefix, topic, id, reason, channel, node. Returns 1 when the member left, 0 when it was not
 * there or another node holds it now (its session resumed there).
 */
export const LEAVE = `${LEAVE_ONE}
return leaveOne(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
`;

/**
 * KEYS: nodes. ARGV: node, leaseMs, registered (1|0), inbox channel.
 * Renews the node's lease; returns -1 when the node was registered but reaped meanwhile (its
 * members have left everywhere: it must join them again), else the Redis time in ms.
 */
export const HEARTBEAT = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
if ARGV[3] == '1' and not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return -1 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PUBLISH', ARGV[4], 'tick')
return now
`;

/**
 * KEYS: nodes. ARGV: prefix, presence channel, events channel.
 * Every node whose lease passed: its members leave with reason \`node_lost\` (once: the leave only
 * happens if the member is still there), its keys and its request providers go, and \`node_dead <id>\` is published on the
 * events channel. Returns the ids reaped and the ids of the nodes alive after it (their lease
 * not passed), as \`{ dead, live }\`.
 */
export const REAP = `${LEAVE_ONE}${DROP_RPC}
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 16)
for _, node in ipairs(dead) do
  local set = ARGV[1] .. 'node:' .. node .. ':pm'
  for _, entry in ipairs(redis.call('SMEMBERS', set)) do
    local lf = string.find(entry, '\\n', 1, true)
    leaveOne(ARGV[1], string.sub(entry, 1, lf - 1), string.sub(entry, lf + 1), 'node_lost', ARGV[2], node)
  end
  redis.call('DEL', set, ARGV[1] .. 'node:' .. node .. ':clients')
  dropRpc(ARGV[1], node)
  redis.call('ZREM', KEYS[1], node)
  redis.call('PUBLISH', ARGV[3], 'node_dead\\n' .. node)
end
return { dead, redis.call('ZRANGE', KEYS[1], 0, -1) }
`;

/**
 * KEYS: nodes. ARGV: prefix, node, events channel. A node leaving on a clean shutdown: its lease,
 * its keys and its request providers go, and \`node_dead <id>\` tells the others (the calls it
 * was serving fail at once). Its members have already left one by one.
 */
export const RESIGN = `${DROP_RPC}
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('DEL', ARGV[1] .. 'node:' .. ARGV[2] .. ':pm', ARGV[1] .. 'node:' .. ARGV[2] .. ':clients')
dropRpc(ARGV[1], ARGV[2])
redis.call('PUBLISH', ARGV[3], 'node_dead\\n' .. ARGV[2])
`;

/**
 * KEYS: runid, gen. ARGV: the master's run_id now.
 * A master other than the last one seen (a failover, or a restart that may have come back from an
 * older snapshot) may have lost acknowledged writes: the generation moves on, so every topic gets
 * a new epoch at its next publish or history read. Returns the generation.
 */
export const GENERATION = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('INCR', KEYS[2])
end
return redis.call('GET', KEYS[2])
`;

/**
 * KEYS: index, forgot. ARGV: cutoff ms. Forgets topics with no publish since the cutoff, keeping
 * the latest such publish time in `forgot` (recovery from before it cannot be sure). Returns it.
 */
export const FORGET = `
local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'WITHSCORES', 'LIMIT', 0, 1000)
local latest = tonumber(redis.call('GET', KEYS[2]) or '-1')
for i = 2, #old, 2 do
  local score = tonumber(old[i])
  if score > latest then latest = score end
  redis.call('ZREM', KEYS[1], old[i - 1])
end
if #old > 0 then redis.call('SET', KEYS[2], latest) end
return tostring(latest)
`;
