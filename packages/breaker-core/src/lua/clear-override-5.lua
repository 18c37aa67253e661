--[[
  clear override: back to the automatic state now. Without an override this is a
  no-op: no transition, no audit entry.

  KEYS[1..5], ARGV[1..5]: see includes/load.lua.
  ARGV[6]  actor (1..512 bytes: BW_MAX_ACTOR_BYTES; the TS side allows 128 characters)
  ARGV[7]  reason (1..2000 bytes: BW_MAX_REASON_BYTES; the TS side allows 500 characters)

  Output: JSON { snapshot, transitions }
  Errors: BW_NOT_FOUND, BW_BAD_INPUT, BW_BAD_CONFIG
]]
--- @include "includes/breaker"

local B = bw_load()
local actor = bw_str(ARGV[6], 'actor', BW_MAX_ACTOR_BYTES)
local reason = bw_str(ARGV[7], 'reason', BW_MAX_REASON_BYTES)
bw_require(B)
bw_apply_due(B)
if B.ov then
  local from = bw_effective(B)
  B.ov = nil
  bw_transition(B, 'clear_override', from, bw_effective(B), actor, reason)
end
bw_save(B)
return bw_reply(B, {})
