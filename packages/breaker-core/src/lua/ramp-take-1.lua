--[[
  reconnect ramp take: a cluster-wide token bucket that admits reconnects after an
  outage, so recovery does not become the next storm. Refill and take happen in one
  step on Redis TIME, so pod clock skew cannot make the fleet over-admit. A caller
  beyond the tokens at hand books the next free slot (the bucket goes negative:
  tokens owed to the future) if it is at most maxWaitMs away, so each session asks
  once and waits its turn instead of polling.

  Tokens are kept as integer micro-tokens (1 token = 1,000,000) so the arithmetic is
  exact and identical to the memory implementation (src/ramp/token-bucket.ts).

  KEYS[1] bucket  hash: tokens (micro-tokens), at (ms of the last refill); under the
                  breaker's {hash tag}, e.g. bw:{pusher}:ramp
  ARGV[1] now, ms since epoch; empty string = use Redis TIME (the default; tests only
          pass a time)
  ARGV[2] refill rate, tokens per second (a number > 0, at most 1,000,000)
  ARGV[3] burst: bucket capacity, whole tokens (integer 1..1,000,000); a missing or
          expired bucket starts full
  ARGV[4] cost: tokens to take (integer 1..burst)
  ARGV[5] key TTL, ms (integer 1,000..100,000,000,000); refreshed on every admission.
          The caller keeps it at least the time a full refill from the lowest point
          takes (burst / rate + maxWaitMs), so an expired bucket grants nothing a full
          bucket would not have.
  ARGV[6] maxWaitMs: how far ahead a slot may be booked, ms (integer 0..3,600,000;
          0 = a plain token bucket)

  Output: JSON { admitted: true,  tokens, delayMs, now }  tokens left (whole, ≥ 0); wait
                                                          delayMs before reconnecting
       or JSON { admitted: false, retryAfterMs, now }     every slot within maxWaitMs is
                                                          booked: ask again after this
  Errors: BW_BAD_INPUT (nothing written)
]]
--- @include "includes/args"

local MICRO = 1000000

local now
if ARGV[1] ~= '' then
  now = bw_int(ARGV[1], 'now', 0, 100000000000000)
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local rate = tonumber(ARGV[2])
if rate == nil or rate <= 0 or rate > 1000000 then
  bw_fail('BW_BAD_INPUT', 'ratePerSec: expected a number in (0, 1000000], got ' .. tostring(ARGV[2]))
end
local burst = bw_int(ARGV[3], 'burst', 1, 1000000)
local cost = bw_int(ARGV[4], 'cost', 1, burst)
local ttl = bw_int(ARGV[5], 'keyTtlMs', 1000, 100000000000)
local maxWait = bw_int(ARGV[6], 'maxWaitMs', 0, 3600000)

local capacity = burst * MICRO
local tokens = capacity
local at = now
local stored = redis.call('HMGET', KEYS[1], 'tokens', 'at')
if stored[1] and stored[2] then
  tokens = math.min(capacity, tonumber(stored[1]))
  at = tonumber(stored[2])
  -- Redis TIME never runs backwards on one server, but a failover may: refill nothing then.
  local elapsed = math.max(0, now - at)
  tokens = math.min(capacity, tokens + math.floor(elapsed * rate * 1000))
end

local need = cost * MICRO
local delay = 0
if tokens < need then
  delay = math.ceil((need - tokens) / (rate * 1000))
end
if delay <= maxWait then
  tokens = tokens - need
  redis.call('HSET', KEYS[1], 'tokens', string.format('%d', tokens), 'at', string.format('%d', math.max(now, at)))
  redis.call('PEXPIRE', KEYS[1], ttl)
  return cjson.encode({ admitted = true, tokens = math.max(0, math.floor(tokens / MICRO)), delayMs = delay, now = now })
end
-- Refused: nothing written, so a refused caller costs no state.
return cjson.encode({ admitted = false, retryAfterMs = delay - maxWait, now = now })
