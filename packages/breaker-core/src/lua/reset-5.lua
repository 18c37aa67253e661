--[[
  reset: automatic state back to closed, window and failing pods emptied, escalation
  forgotten. An active override stays (lift it with clear-override). Audited.

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
local from = B.auto
bw_close_automatic(B)
bw_transition(B, 'reset', from, 'closed', actor, reason)
bw_save(B)
return bw_reply(B, {})
