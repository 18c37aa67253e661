--[[
  Persists B to the state hash (only when something changed) and sets the TTL of
  every key: always after a change or when this call created a key (B.created: the
  window or failing-pod set, which a call without a transition may create; a key
  created without one would never expire), else once less than half the TTL of the
  state key remains. An override keeps its keys alive past its expiry.
]]

local function bw_or_empty(v)
  if v == nil then
    return ''
  end
  return v
end

local function bw_save(B)
  if B.dirty then
    local l = B.lease or {}
    local o = B.ov or {}
    redis.call('HSET', KEYS[1],
      'name', B.name, 'inc', B.inc, 'auto', B.auto, 'gen', B.gen,
      'openedAt', bw_or_empty(B.openedAt), 'cooldownUntil', bw_or_empty(B.cooldownUntil),
      'probeFailures', B.probeFailures, 'hoSuccesses', B.hoSuccesses, 'leaseSeq', B.leaseSeq,
      'leaseToken', bw_or_empty(l.token), 'leaseHolder', bw_or_empty(l.holder),
      'leaseExpiresAt', bw_or_empty(l.expiresAt), 'leaseGen', bw_or_empty(l.gen),
      'ovMode', bw_or_empty(o.mode), 'ovReason', bw_or_empty(o.reason), 'ovActor', bw_or_empty(o.actor),
      'ovSetAt', bw_or_empty(o.setAt), 'ovExpiresAt', bw_or_empty(o.expiresAt))
  end
  local ttl = B.ttl
  if B.ov then
    local keep = B.ov.expiresAt - B.now + 60000
    if keep > ttl then
      ttl = keep
    end
  end
  if B.dirty or B.created or redis.call('PTTL', KEYS[1]) < ttl / 2 then
    for i = 1, 5 do
      redis.call('PEXPIRE', KEYS[i], ttl)
    end
  end
end
