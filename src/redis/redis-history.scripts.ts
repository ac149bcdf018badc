/**
 * Lua run inside Redis, so numbering, dedupe, retention and PUBLISH happen as one step: pub/sub
 * order is sequence order, and a reader that subscribed before reading history cannot miss one.
 * Keys are derived from a prefix (ARGV[1]), so these scripts need a single Redis node (standalone
 * or Sentinel), not Redis Cluster.
 *
 * Key layout, for prefix `p`:
 *   p epoch            the sequence's life; SET NX from the caller's candidate
 *   p seq              the one service-wide sequence (INCR)
 *   p d:<key>          producer id → `seq|createdAt|expiresAt`, with the dedupe TTL
 *   p l:<log>          a log's last accepted record → `offset|seq|createdAt|expiresAt`, dedupe TTL
 *   p h:u:<user>       ZSET seq → member (see redis-notification.encoding.ts); p h:b broadcast
 *   <stream>|f         highest seq trimmed from that stream (its floor)
 *   p marks            ZSET second → `second:highest seq appended in it`, for the age floor
 *   p agefloor         highest seq known to be older than the history TTL
 *   p c:u:<user>       pub/sub channel per user; p c:b broadcast
 */

/** Shared by both scripts: Redis time, so every replica agrees on ages. */
const PRELUDE = `
local p = ARGV[1]
redis.call('SET', p .. 'epoch', ARGV[2], 'NX')
local epoch = redis.call('GET', p .. 'epoch')
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function createdAt(member)
  local _, _, c = string.find(member, '^%d+|(%d+)|')
  return tonumber(c)
end
-- Highest seq every stream has certainly lost to age: buckets entirely older than the cutoff.
local function ageFloor(cutoff)
  local floor = tonumber(redis.call('GET', p .. 'agefloor') or '0')
  local cutSec = math.floor(cutoff / 1000)
  local last = redis.call('ZREVRANGEBYSCORE', p .. 'marks', '(' .. cutSec, '-inf', 'LIMIT', 0, 1)
  if last[1] then
    local _, _, s = string.find(last[1], ':(%d+)$')
    floor = math.max(floor, tonumber(s))
  end
  return floor, cutSec
end
`;

/**
 * ARGV: prefix, candidate epoch, max per stream, history TTL ms, dedupe TTL s, log window, count,
 * then per notification: dedupe key ('' for none), log ('' for none), offset, ttl s (0 for none),
 * channel, type, payload, recipient count (0 = broadcast), recipients...
 * A record with a log and no key is a redelivery at or up to the window below its log's mark (the
 * rule of LogMarks, src/history/log-marks.ts).
 * Returns: epoch, now, then per notification `new|seq|createdAt|expiresAt` or `dup|...`.
 */
export const APPEND_SCRIPT = `${PRELUDE}
local maxPer = tonumber(ARGV[3])
local ttlMs = tonumber(ARGV[4])
local dedupeTtl = tonumber(ARGV[5])
local logWindow = tonumber(ARGV[6])
local count = tonumber(ARGV[7])
local cutoff = now - ttlMs
local out = { epoch, tostring(now) }
local lastSeq = 0
local aged = ageFloor(cutoff)

local function retain(key, seq, member)
  local floor = 0
  if redis.call('EXISTS', key) == 0 then
    -- A stream that aged out whole and comes back keeps what it lost as its floor.
    floor = math.max(aged, tonumber(redis.call('GET', key .. '|f') or '0'))
  end
  redis.call('ZADD', key, seq, member)
  local excess = redis.call('ZCARD', key) - maxPer
  if excess > 0 then
    local popped = redis.call('ZPOPMIN', key, excess)
    floor = tonumber(popped[#popped])
  end
  while true do
    local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    if not first[1] or createdAt(first[1]) >= cutoff then break end
    redis.call('ZPOPMIN', key)
    floor = tonumber(first[2])
  end
  if floor > 0 then redis.call('SET', key .. '|f', floor, 'PX', ttlMs * 2) end
  -- An idle stream ages out whole; the age floor then stands in for its own.
  redis.call('PEXPIRE', key, ttlMs)
  redis.call('PEXPIRE', key .. '|f', ttlMs * 2)
end

-- Each log's mark, read once per batch and written back once at its end.
local marks = {}
local function markOf(log)
  local mark = marks[log]
  if mark == nil then
    mark = false
    local v = redis.call('GET', p .. 'l:' .. log)
    if v then
      local _, _, offset, meta = string.find(v, '^(%d+)|(.*)$')
      mark = { offset = tonumber(offset), text = offset, meta = meta, moved = false }
    end
    marks[log] = mark
  end
  return mark
end

local i = 8
for _ = 1, count do
  local dedupeKey, log, offsetText = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local offset = tonumber(offsetText)
  local ttl = tonumber(ARGV[i + 3])
  local channel, kind, payload = ARGV[i + 4], ARGV[i + 5], ARGV[i + 6]
  local recipients = tonumber(ARGV[i + 7])
  local first = i + 8
  i = first + recipients
  local seen = false
  if dedupeKey ~= '' then
    seen = redis.call('GET', p .. 'd:' .. dedupeKey)
  elseif log ~= '' then
    local mark = markOf(log)
    if mark and offset <= mark.offset and offset > mark.offset - logWindow then seen = mark.meta end
  end
  if seen then
    out[#out + 1] = 'dup|' .. seen
  else
    local seq = redis.call('INCR', p .. 'seq')
    lastSeq = seq
    local expiresAt = 0
    if ttl > 0 then expiresAt = now + ttl * 1000 end
    local meta = seq .. '|' .. now .. '|' .. expiresAt
    local member = meta .. '|' .. channel .. '|' .. kind .. '|' .. payload
    local message = epoch .. '|' .. member
    if dedupeKey ~= '' then
      redis.call('SET', p .. 'd:' .. dedupeKey, meta, 'EX', dedupeTtl)
    elseif log ~= '' then
      -- The offset's own text is kept: Lua would print a large number in exponent form.
      marks[log] = { offset = offset, text = offsetText, meta = meta, moved = true }
    end
    if recipients == 0 then
      retain(p .. 'h:b', seq, member)
      redis.call('PUBLISH', p .. 'c:b', message)
    else
      for r = first, first + recipients - 1 do
        retain(p .. 'h:u:' .. ARGV[r], seq, member)
        redis.call('PUBLISH', p .. 'c:u:' .. ARGV[r], message)
      end
    end
    out[#out + 1] = 'new|' .. meta
  end
end

for log, mark in pairs(marks) do
  if mark and mark.moved then
    redis.call('SET', p .. 'l:' .. log, mark.text .. '|' .. mark.meta, 'EX', dedupeTtl)
  end
end

if lastSeq > 0 then
  local sec = math.floor(now / 1000)
  redis.call('ZREMRANGEBYSCORE', p .. 'marks', sec, sec)
  redis.call('ZADD', p .. 'marks', sec, sec .. ':' .. lastSeq)
  local cutSec = math.floor(cutoff / 1000)
  redis.call('SET', p .. 'agefloor', aged)
  redis.call('ZREMRANGEBYSCORE', p .. 'marks', '-inf', '(' .. cutSec)
end
return out
`;

/**
 * ARGV: prefix, candidate epoch, user id, after seq, page size, history TTL ms.
 * Returns: epoch, seq, now, floor (the higher of the user's and the broadcast's), then the first
 * page of each stream after the cursor: own members, broadcast members.
 */
export const READ_SCRIPT = `${PRELUDE}
local user, after, page, ttlMs = ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local aged = ageFloor(now - ttlMs)
local function floorOf(key)
  if redis.call('EXISTS', key) == 0 then return aged end
  return tonumber(redis.call('GET', key .. '|f') or '0')
end
local own, all = p .. 'h:u:' .. user, p .. 'h:b'
local seq = redis.call('GET', p .. 'seq') or '0'
local floor = math.max(floorOf(own), floorOf(all))
return {
  epoch, seq, tostring(now), tostring(floor),
  redis.call('ZRANGEBYSCORE', own, '(' .. after, '+inf', 'LIMIT', 0, page),
  redis.call('ZRANGEBYSCORE', all, '(' .. after, '+inf', 'LIMIT', 0, page),
}
`;

/** ARGV: prefix, candidate epoch. Returns: epoch, seq. */
export const HEAD_SCRIPT = `${PRELUDE}
return { epoch, redis.call('GET', p .. 'seq') or '0' }
`;
