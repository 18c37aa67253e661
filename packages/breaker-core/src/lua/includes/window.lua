--[[
  The sliding window as a ring of buckets (same arithmetic as src/state/sliding-window.ts):
  bucket epoch = floor(now / bucketMs) lives in slot epoch % buckets, and a slot
  holding an older epoch is reused. Bounded by construction.
  Distinct failing pods: KEYS[4], pruned to the window and capped at 10,000.
  Both keys are created here, by calls that need not change the state (a record below
  the threshold), so creating one sets B.created and bw_save gives it its TTL.
]]

local BW_MAX_TRACKED_PODS = 10000

local function bw_window_add(B, failures, successes)
  local epoch = math.floor(B.now / B.cfg.bucketMs)
  local slot = epoch % B.cfg.buckets
  local f, s = 0, 0
  -- HGETALL of a missing hash is empty, and a stored ring always has fields: empty = no key yet.
  if next(B.win) == nil then
    B.created = true
  end
  if bw_num(B.win['e' .. slot]) == epoch then
    f = tonumber(B.win['f' .. slot])
    s = tonumber(B.win['s' .. slot])
  end
  f = f + failures
  s = s + successes
  B.win['e' .. slot] = epoch
  B.win['f' .. slot] = f
  B.win['s' .. slot] = s
  redis.call('HSET', KEYS[3], 'e' .. slot, epoch, 'f' .. slot, f, 's' .. slot, s)
end

local function bw_window_sum(B)
  local epoch = math.floor(B.now / B.cfg.bucketMs)
  local failures, successes = 0, 0
  for slot = 0, B.cfg.buckets - 1 do
    local e = bw_num(B.win['e' .. slot])
    if e ~= nil and e > epoch - B.cfg.buckets and e <= epoch then
      failures = failures + tonumber(B.win['f' .. slot])
      successes = successes + tonumber(B.win['s' .. slot])
    end
  end
  return failures, successes
end

local function bw_window_clear(B)
  redis.call('DEL', KEYS[3], KEYS[4])
  B.win = {}
end

local function bw_track_failing_pod(B, pod)
  if redis.call('EXISTS', KEYS[4]) == 0 then
    B.created = true
  end
  redis.call('ZADD', KEYS[4], B.now, pod)
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', B.now - B.cfg.windowMs)
  local extra = redis.call('ZCARD', KEYS[4]) - BW_MAX_TRACKED_PODS
  if extra > 0 then
    redis.call('ZREMRANGEBYRANK', KEYS[4], 0, extra - 1)
  end
end

local function bw_failing_pods(B)
  return redis.call('ZCOUNT', KEYS[4], '(' .. (B.now - B.cfg.windowMs), '+inf')
end
