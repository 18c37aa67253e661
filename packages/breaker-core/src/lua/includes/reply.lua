--[[
  Every script replies with one JSON document: the fields of its own result plus
  `snapshot` (the breaker after the call) and `transitions` (what this call caused,
  in order). Parsed and validated by src/store/script-reply.ts.
]]

local function bw_null(v)
  if v == nil then
    return cjson.null
  end
  return v
end

local function bw_snapshot(B)
  local failures, successes = bw_window_sum(B)
  local lease = bw_live_lease(B)
  local probe = cjson.null
  if lease then
    probe = { holder = lease.holder, expiresAt = lease.expiresAt }
  end
  local override = cjson.null
  if B.ov then
    override = { mode = B.ov.mode, reason = B.ov.reason, actor = B.ov.actor, setAt = B.ov.setAt,
      expiresAt = B.ov.expiresAt }
  end
  return {
    name = B.name,
    state = bw_effective(B),
    automaticState = B.auto,
    generation = B.gen,
    incarnation = B.inc,
    mode = B.cfg.mode,
    window = { failures = failures, successes = successes, failingPods = bw_failing_pods(B) },
    openedAt = bw_null(B.openedAt),
    cooldownUntil = bw_null(B.cooldownUntil),
    probeFailures = B.probeFailures,
    halfOpenSuccesses = B.hoSuccesses,
    probe = probe,
    override = override,
    configHash = B.cfg.hash,
    configJson = B.cfg.json,
    at = B.now,
  }
end

local function bw_reply(B, result)
  result.snapshot = bw_snapshot(B)
  result.transitions = B.out
  return cjson.encode(result)
end
