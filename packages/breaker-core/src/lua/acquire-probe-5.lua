--[[
  acquire probe lease: in half_open (and no override), exactly one pod cluster-wide
  gets a lease bound to the current generation, valid for probeLeaseMs. Its holder asking
  again gets the same lease; everyone else learns who holds it and until when. An expired
  lease is free to take. The token, `<incarnation>.<generation>.<sequence>` (at most 64
  bytes; opaque to callers), never repeats for a breaker, even one re-created after
  Redis lost its keys.

  KEYS[1..5], ARGV[1..5]: see includes/load.lua.
  ARGV[6]  pod id asking (1..128 bytes)

  Output: JSON { granted: true, lease: { token, generation, holder, expiresAt }, snapshot, transitions }
       or JSON { granted: false, reason: "not_half_open" | "held", holder?, expiresAt?, snapshot, transitions }
  Errors: BW_NOT_FOUND, BW_BAD_INPUT, BW_BAD_CONFIG
]]
--- @include "includes/breaker"

local B = bw_load()
local pod = bw_str(ARGV[6], 'podId', 128)
bw_require(B)
bw_apply_due(B)
local result
if bw_effective(B) ~= 'half_open' then
  result = { granted = false, reason = 'not_half_open' }
else
  local held = bw_live_lease(B)
  if held and held.holder ~= pod then
    result = { granted = false, reason = 'held', holder = held.holder, expiresAt = held.expiresAt }
  else
    if not held then
      B.leaseSeq = B.leaseSeq + 1
      -- incarnation.generation.sequence: unique for this breaker even after Redis lost its keys
      local token = B.inc .. '.' .. B.gen .. '.' .. B.leaseSeq
      B.lease = { token = token, holder = pod, expiresAt = B.now + B.cfg.probeLeaseMs, gen = B.gen }
      B.dirty = true
    end
    local l = B.lease
    result = { granted = true, lease = { token = l.token, generation = l.gen, holder = l.holder, expiresAt = l.expiresAt } }
  end
end
bw_save(B)
return bw_reply(B, result)
