--[[
  The breaker's rules, mirroring src/state/rules.ts line for line.
]]

-- Time-driven changes due by now: an override lapsing, then open -> half_open.
local function bw_apply_due(B)
  if B.ov and B.ov.expiresAt <= B.now then
    local from = bw_effective(B)
    -- Stamped with when it lapsed, not when a call noticed (as rules.ts).
    local expiredAt = B.ov.expiresAt
    B.ov = nil
    bw_transition(B, 'override_expired', from, bw_effective(B), 'system', 'override expired', expiredAt)
  end
  if B.auto == 'open' and B.cooldownUntil ~= nil and B.cooldownUntil <= B.now then
    B.auto = 'half_open'
    B.cooldownUntil = nil
    B.hoSuccesses = 0
    bw_transition(B, 'half_open', 'open', 'half_open', 'system', 'cooldown ended')
  end
end

local function bw_open(B, action, actor, reason)
  local from = B.auto
  B.auto = 'open'
  B.openedAt = B.now
  B.hoSuccesses = 0
  bw_transition(B, action, from, 'open', actor, reason)
  B.cooldownUntil = B.now + bw_cooldown(B)
end

-- Automatic state to closed with an empty window and no escalation: shared by close and reset.
local function bw_close_automatic(B)
  B.auto = 'closed'
  B.openedAt = nil
  B.cooldownUntil = nil
  B.probeFailures = 0
  B.hoSuccesses = 0
  bw_window_clear(B)
end

local function bw_close(B, actor, reason)
  local from = B.auto
  bw_close_automatic(B)
  bw_transition(B, 'close', from, 'closed', actor, reason)
end

local function bw_probe_succeeded(B, actor, count)
  B.hoSuccesses = B.hoSuccesses + count
  B.lease = nil
  B.dirty = true
  if B.hoSuccesses >= B.cfg.successThreshold then
    bw_close(B, actor, B.hoSuccesses .. ' successful probe(s)')
  end
end

local function bw_probe_failed(B, actor)
  B.probeFailures = B.probeFailures + 1
  bw_open(B, 'reopen', actor, 'probe failed')
end

-- The trip rules, evaluated only while closed.
local function bw_evaluate_trip(B, pod)
  local failures, successes = bw_window_sum(B)
  local calls = failures + successes
  local byCount = failures >= B.cfg.failureThreshold
  local byRate = B.cfg.rateThreshold ~= nil and calls >= B.cfg.minimumCalls
    and failures / calls >= B.cfg.rateThreshold
  if (byCount or byRate) and bw_failing_pods(B) >= B.cfg.quorum then
    local rule
    if byCount then
      rule = failures .. ' failures in window'
    else
      rule = 'failure rate ' .. failures .. '/' .. calls .. ' in window'
    end
    bw_open(B, 'trip', pod, rule)
  end
end

local function bw_live_lease(B)
  local l = B.lease
  if l and l.gen == B.gen and l.expiresAt > B.now then
    return l
  end
  return nil
end
