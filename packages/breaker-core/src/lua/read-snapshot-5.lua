--[[
  read snapshot: the breaker as it is now, after applying what fell due (an override
  lapsing, open -> half_open at the end of the cooldown). Pods call this to resync, so
  every pod sees half_open when the cooldown ends on Redis time.

  KEYS[1..5], ARGV[1..5]: see includes/load.lua.

  Output: JSON { snapshot, transitions }
  Errors: BW_NOT_FOUND, BW_BAD_INPUT, BW_BAD_CONFIG
]]
--- @include "includes/breaker"

local B = bw_load()
bw_require(B)
bw_apply_due(B)
bw_save(B)
return bw_reply(B, {})
