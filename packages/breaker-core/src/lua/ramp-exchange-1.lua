--[[
  reconnect ramp exchange: one pod's feedback on the dials the ramp admitted, then its
  takes, applied atomically on Redis TIME to the one ramp every pod shares. The rate
  follows what the downstream answers, for the whole fleet at once: it grows while
  admitted dials succeed (slow start, then additive), is cut on overload answers and on
  failing intervals, and a Retry-After pauses every admission. The same steps, in the
  same order and with the same integer arithmetic, as src/ramp/ramp-exchange.ts (the
  memory ramp); read that file's comment for the rules.

  A pod sends one call per interval carrying every take its sessions asked for since the
  previous one and the feedback they reported, so Redis load grows with pods, not with
  sessions. A caller beyond the tokens at hand books the next free slot (the bucket goes
  negative: tokens owed to the future) if it is at most maxWaitMs away.

  Units: rates in thousandths of an admission per second (= micro-tokens per ms); tokens
  in micro-tokens (1 token = 1,000,000); times in ms since the epoch.

  KEYS[1] ramp  hash: tokens, at, rate, threshold, epoch, intervalStart, successes,
                failures, limitedAt, pausedUntil, cutEpoch, freshSuccesses (all
                integers); under the breaker's {hash tag}, e.g. bw:{pusher}:ramp
  ARGV[1]  now, ms since epoch; empty string = use Redis TIME (the default; tests only
           pass a time)
  ARGV[2]  starting rate, thousandths/s (integer 1..1,000,000,000)
  ARGV[3]  minimum rate, thousandths/s (integer 1..ARGV[2])
  ARGV[4]  maximum rate, thousandths/s (integer ARGV[2]..1,000,000,000)
  ARGV[5]  burst: bucket capacity, whole tokens (integer 1..1,000,000); a missing or
           expired ramp starts full
  ARGV[6]  maxWaitMs: how far ahead a slot may be booked, ms (integer 0..3,600,000)
  ARGV[7]  minRetryAfterMs: least retryAfterMs of a refusal, ms (integer 0..3,600,000)
  ARGV[8]  increaseFactor: slow-start multiplier (a number in [1, 10])
  ARGV[9]  increaseStep: additive growth per interval, thousandths/s (integer
           0..1,000,000,000)
  ARGV[10] decreaseFactor: multiplier of a cut (a number in (0, 1])
  ARGV[11] failureRatio: an interval's failure share that cuts (a number in [0, 1])
  ARGV[12] adjustIntervalMs, ms (integer 10..600,000)
  ARGV[13] maxPauseMs: longest Retry-After pause, ms (integer 0..3,600,000; 0 = none)
  ARGV[14] idleResetMs: uncontended this long, the ramp restarts, ms (integer
           1..86,400,000)
  ARGV[15] key TTL, ms (integer 1,000..100,000,000,000); refreshed on every call. The
           caller keeps it past a pause, the booked slots and a full refill at the
           minimum rate, and past idleResetMs, so an expired ramp grants nothing a
           restarted one would not.
  ARGV[16] feedback epoch: the oldest epoch of the admissions the counts are about
           (integer 0..100,000,000,000,000; 0 with no counts); counted if no cut, pause
           or restart came after it (>= cutEpoch), else all stale
  ARGV[17] successes, ARGV[18] failures, ARGV[19] overloads (integers 0..1,000,000,000)
  ARGV[20] fresh epoch: the newest epoch of the successes' admissions (integer
           0..100,000,000,000,000; 0 with none)
  ARGV[21] fresh successes: of ARGV[17], those admitted at ARGV[20] (integer
           0..ARGV[17]); growth evidence if ARGV[20] is the ramp's epoch
  ARGV[22] retryAfterMs: the longest Retry-After reported, any epoch, ms (integer
           0..86,400,000; 0 = none)
  ARGV[23..] the costs of the takes, in order (each an integer 1..burst; at most 1,000)

  Output: JSON { now, rate, threshold, epoch, pausedUntil, cutEpoch,
                 events: { restarted, decreased, increased, paused, stale } (0 or 1),
                 decisions: [ { a = 1, t = tokens left (whole, >= 0), d = delayMs }
                            | { a = 0, r = retryAfterMs } ] }   (one per cost, in order;
                 an empty list is encoded as {})
  Errors: BW_BAD_INPUT (nothing written)
]]
--- @include "includes/args"

local MICRO = 1000000
local MAX_RATE = 1000000000

local function bw_num(value, argname, min, max, min_exclusive)
  local n = tonumber(value)
  if n == nil or n ~= n or n > max or n < min or (min_exclusive and n == min) then
    bw_fail('BW_BAD_INPUT', argname .. ': expected a number in ' .. (min_exclusive and '(' or '[') .. min .. ', '
      .. max .. '], got ' .. tostring(value))
  end
  return n
end

local now
if ARGV[1] ~= '' then
  now = bw_int(ARGV[1], 'now', 0, 100000000000000)
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local start_rate = bw_int(ARGV[2], 'ratePerSec', 1, MAX_RATE)
local min_rate = bw_int(ARGV[3], 'minRatePerSec', 1, start_rate)
local max_rate = bw_int(ARGV[4], 'maxRatePerSec', start_rate, MAX_RATE)
local burst = bw_int(ARGV[5], 'burst', 1, 1000000)
local max_wait = bw_int(ARGV[6], 'maxWaitMs', 0, 3600000)
local min_retry = bw_int(ARGV[7], 'minRetryAfterMs', 0, 3600000)
local increase_factor = bw_num(ARGV[8], 'increaseFactor', 1, 10, false)
local increase_step = bw_int(ARGV[9], 'increaseStepPerSec', 0, MAX_RATE)
local decrease_factor = bw_num(ARGV[10], 'decreaseFactor', 0, 1, true)
local failure_ratio = bw_num(ARGV[11], 'failureRatio', 0, 1, false)
local adjust_interval = bw_int(ARGV[12], 'adjustIntervalMs', 10, 600000)
local max_pause = bw_int(ARGV[13], 'maxPauseMs', 0, 3600000)
local idle_reset = bw_int(ARGV[14], 'idleResetMs', 1, 86400000)
local ttl = bw_int(ARGV[15], 'keyTtlMs', 1000, 100000000000)
local fb_epoch = bw_int(ARGV[16], 'feedback epoch', 0, 100000000000000)
local fb_successes = bw_int(ARGV[17], 'successes', 0, 1000000000)
local fb_failures = bw_int(ARGV[18], 'failures', 0, 1000000000)
local fb_overloads = bw_int(ARGV[19], 'overloads', 0, 1000000000)
local fb_fresh_epoch = bw_int(ARGV[20], 'fresh epoch', 0, 100000000000000)
local fb_fresh = bw_int(ARGV[21], 'fresh successes', 0, fb_successes)
local fb_retry_after = bw_int(ARGV[22], 'retryAfterMs', 0, 86400000)
local costs = {}
for i = 23, #ARGV do
  costs[#costs + 1] = bw_int(ARGV[i], 'cost', 1, burst)
end
if #costs > 1000 then
  bw_fail('BW_BAD_INPUT', 'costs: expected at most 1000 takes per call, got ' .. #costs)
end

local capacity = burst * MICRO
local FIELDS = { 'tokens', 'at', 'rate', 'threshold', 'epoch', 'intervalStart', 'successes', 'failures',
  'limitedAt', 'pausedUntil', 'cutEpoch', 'freshSuccesses' }
local stored = redis.call('HMGET', KEYS[1], unpack(FIELDS))
local s = {}
if stored[1] and stored[2] then
  for i, field in ipairs(FIELDS) do s[field] = tonumber(stored[i]) end
  s.tokens = math.min(capacity, s.tokens)
  -- A ramp an older version wrote holds only tokens and at: the rest starts fresh.
  if s.rate == nil or s.rate < 1 then s.rate = start_rate end
  s.threshold = s.threshold or max_rate
  s.epoch = s.epoch or now
  s.intervalStart = s.intervalStart or now
  s.successes = s.successes or 0
  s.failures = s.failures or 0
  s.limitedAt = s.limitedAt or (now - 1)
  s.pausedUntil = s.pausedUntil or 0
  -- Written before congestion episodes: the episode starts at the current epoch.
  s.cutEpoch = s.cutEpoch or s.epoch
  s.freshSuccesses = s.freshSuccesses or 0
else
  s = { tokens = capacity, at = now, rate = start_rate, threshold = max_rate, epoch = now, cutEpoch = now,
    intervalStart = now, successes = 0, failures = 0, freshSuccesses = 0, limitedAt = now - 1, pausedUntil = 0 }
end

local function start_interval()
  s.intervalStart = now
  s.successes = 0
  s.failures = 0
  s.freshSuccesses = 0
end

local function new_epoch()
  -- Strictly increasing, so two changes in the same millisecond are still two epochs.
  s.epoch = math.max(now, s.epoch + 1)
  start_interval()
end

-- Booked slots keep their times; the next new one follows the last of them at the new rate.
local function change_rate(rate)
  if s.tokens < 0 then s.tokens = 0 - math.floor((0 - s.tokens) * rate / s.rate) end
  s.rate = rate
  new_epoch()
end

local restarted, decreased, increased, paused, stale = 0, 0, 0, 0, 0

-- 1. Refill (Redis TIME never runs backwards on one server, but a failover may: then nothing).
if now > s.at then
  s.tokens = math.min(capacity, s.tokens + (now - s.at) * s.rate)
  s.at = now
end

-- 2. Restart after a quiet spell.
if now - s.limitedAt >= idle_reset and (s.rate ~= start_rate or s.threshold ~= max_rate) then
  change_rate(start_rate)
  s.threshold = max_rate
  s.cutEpoch = s.epoch -- what was admitted before the restart is stale
  restarted = 1
end

-- 3. Pause: nothing accrues until it ends, and no burst is kept for then.
if fb_retry_after > 0 and max_pause > 0 then
  local until_ms = now + math.min(fb_retry_after, max_pause)
  if until_ms > s.pausedUntil then
    s.pausedUntil = until_ms
    s.tokens = math.min(s.tokens, 0)
    s.at = math.max(s.at, until_ms)
    paused = 1
  end
end

-- 4. Feedback: stale only if admitted before the latest cut, pause or restart.
local overloaded = false
if fb_successes + fb_failures + fb_overloads > 0 then
  if fb_epoch >= s.cutEpoch and fb_epoch <= s.epoch then
    s.successes = s.successes + fb_successes
    s.failures = s.failures + fb_failures
    if fb_fresh_epoch == s.epoch then s.freshSuccesses = s.freshSuccesses + fb_fresh end
    overloaded = fb_overloads > 0
  else
    stale = 1
  end
end

-- 5. Adjust.
local interval_over = now - s.intervalStart >= adjust_interval and s.successes + s.failures > 0
local failing = interval_over and s.failures > 0 and s.failures >= failure_ratio * (s.successes + s.failures)
-- Below the threshold the rate doubles (slow start); increaseFactor 1 = none: additive from the first interval.
local slow_start = s.rate < s.threshold and increase_factor > 1
if overloaded or failing then
  local cut = math.max(min_rate, math.floor(s.rate * decrease_factor))
  if cut < s.rate then
    change_rate(cut)
    decreased = 1
  else
    start_interval()
  end
  s.threshold = cut
elseif interval_over and (s.freshSuccesses > 0 or not slow_start) then
  -- Slow start doubles only on a success at the current rate (until one comes in, the interval
  -- stays open); the additive step needs a clean interval of successes since the latest cut.
  if paused == 0 and s.limitedAt >= s.intervalStart and s.rate < max_rate then
    local grown
    if slow_start then
      grown = math.min(s.threshold, math.floor(s.rate * increase_factor))
    else
      grown = s.rate + increase_step
    end
    local next_rate = math.min(max_rate, grown)
    if next_rate > s.rate then
      change_rate(next_rate)
      increased = 1
    end
  end
  start_interval()
end
-- A pause is a congestion signal even when the rate did not move: what was admitted before it is stale.
if paused == 1 and decreased == 0 then new_epoch() end
if decreased == 1 or paused == 1 then s.cutEpoch = s.epoch end

-- 6. Takes. Slots start at the end of a pause; a clock that went backwards delays nothing.
local decisions = {}
local start = math.max(now, math.min(s.at, s.pausedUntil))
for _, cost in ipairs(costs) do
  local need = cost * MICRO
  local delay = start - now
  if s.tokens < need then
    delay = delay + math.ceil((need - s.tokens) / s.rate)
  end
  if delay <= max_wait then
    s.tokens = s.tokens - need
    if delay > 0 then s.limitedAt = now end
    decisions[#decisions + 1] = { a = 1, t = math.max(0, math.floor(s.tokens / MICRO)), d = delay }
  else
    s.limitedAt = now
    decisions[#decisions + 1] = { a = 0, r = math.max(delay - max_wait, min_retry) }
  end
end

local values = {}
for _, field in ipairs(FIELDS) do
  values[#values + 1] = field
  values[#values + 1] = string.format('%d', s[field])
end
redis.call('HSET', KEYS[1], unpack(values))
redis.call('PEXPIRE', KEYS[1], ttl)

return cjson.encode({
  now = now, rate = s.rate, threshold = s.threshold, epoch = s.epoch, pausedUntil = s.pausedUntil,
  cutEpoch = s.cutEpoch,
  events = { restarted = restarted, decreased = decreased, increased = increased, paused = paused, stale = stale },
  decisions = decisions,
})
