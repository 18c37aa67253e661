--[[
  force open / force close: an operator override that wins over the automatic state
  until it expires (then the breaker returns to automatic, recorded as override_expired).
  The automatic rules keep running underneath. Audited with actor and reason.

  KEYS[1..5], ARGV[1..5]: see includes/load.lua.
  ARGV[6]  "forced_open" | "forced_closed"
  ARGV[7]  actor (1..512 bytes: BW_MAX_ACTOR_BYTES; the TS side allows 128 characters)
  ARGV[8]  reason (1..2000 bytes: BW_MAX_REASON_BYTES; the TS side allows 500 characters)
  ARGV[9]  ttl, ms (1000..86400000)

  Output: JSON { snapshot, transitions }
  Errors: BW_NOT_FOUND, BW_BAD_INPUT, BW_BAD_CONFIG
]]
--- @include "includes/breaker"

local B = bw_load()
local mode = bw_one_of(ARGV[6], 'mode', 'forced_open', 'forced_closed')
local actor = bw_str(ARGV[7], 'actor', BW_MAX_ACTOR_BYTES)
local reason = bw_str(ARGV[8], 'reason', BW_MAX_REASON_BYTES)
local ttl = bw_int(ARGV[9], 'ttlMs', 1000, 86400000)
bw_require(B)
bw_apply_due(B)
local from = bw_effective(B)
B.ov = { mode = mode, reason = reason, actor = actor, setAt = B.now, expiresAt = B.now + ttl }
local action = 'force_open'
if mode == 'forced_closed' then
  action = 'force_close'
end
bw_transition(B, action, from, mode, actor, reason)
bw_save(B)
return bw_reply(B, {})
