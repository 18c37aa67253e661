--[[
  One transition: bump the generation (fencing any outstanding probe lease),
  append to the bounded audit stream, and PUBLISH on the breaker's channel,
  all inside the calling script so pods never see one without the others. `at` is
  when it took effect: B.now, except for a lapsed override (its expiry time).
  `extra` (optional): more field/value pairs for the audit entry only.
  The published message also carries `auditId`, the audit entry's stream id, so a
  subscriber can resume from the audit log (the script's reply does not), and the
  incarnation: a re-created breaker restarts at generation 0, and pods order
  generations within one incarnation only.
]]

local function bw_effective(B)
  if B.ov then
    return B.ov.mode
  end
  return B.auto
end

local function bw_transition(B, action, from, to, actor, reason, at, extra)
  at = at or B.now
  B.gen = B.gen + 1
  B.lease = nil
  B.dirty = true
  local state = bw_effective(B)
  local entry = { 'at', at, 'actor', actor, 'action', action, 'from', from, 'to', to,
    'generation', B.gen, 'reason', reason }
  for _, v in ipairs(extra or {}) do
    entry[#entry + 1] = v
  end
  local id = redis.call('XADD', KEYS[5], 'MAXLEN', B.auditMax, '*', unpack(entry))
  local t = {
    name = B.name, action = action, from = from, to = to, state = state,
    generation = B.gen, at = at, actor = actor, reason = reason,
    overrideExpiresAt = B.ov and B.ov.expiresAt or cjson.null,
    incarnation = B.inc,
  }
  t.auditId = id
  redis.call('PUBLISH', B.channel, cjson.encode(t))
  t.auditId = nil
  B.out[#B.out + 1] = t
end
