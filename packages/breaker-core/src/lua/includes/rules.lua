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

--[[
  Which trip rule the window's counts meet, as the audit reason, or nil (tripRule in
  rules.ts, same expressions so both stores agree on every boundary). The count rule:
  failures >= failureThreshold and failures >= minFailureRatio x calls. The optional
  rate rule: failures / calls >= rateThreshold over at least minimumCalls calls.
]]
local function bw_trip_rule(B, failures, successes)
  local calls = failures + successes
  if failures >= B.cfg.failureThreshold and failures >= B.cfg.minFailureRatio * calls then
    return failures .. ' failures in window (of ' .. calls .. ' calls)'
  end
  if B.cfg.rateThreshold ~= nil and calls >= B.cfg.minimumCalls and failures / calls >= B.cfg.rateThreshold then
    return 'failure rate ' .. failures .. '/' .. calls .. ' in window'
  end
  return nil
end

-- The trip rules, evaluated only while closed; the quorum last (it reads the failing-pod set).
local function bw_evaluate_trip(B, pod)
  local failures, successes = bw_window_sum(B)
  local rule = bw_trip_rule(B, failures, successes)
  if rule ~= nil and bw_failing_pods(B) >= B.cfg.quorum then
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
