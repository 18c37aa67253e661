--[[
  register: create the breaker with the caller's config if it does not exist.
  An existing breaker keeps its stored config; the reply says whether it differs.

  KEYS[1..5], ARGV[1..5]: see includes/load.lua.
  ARGV[6]    config hash of the caller's config (16 hex)
  ARGV[7]    canonical config JSON
  ARGV[8..]  config field/value pairs (windowMs, bucketMs, ...; see src/store/config-fields.ts),
             checked before anything is written (BW_BAD_INPUT)

  Output: JSON { created, drift, snapshot, transitions }
  Errors: BW_BAD_INPUT, BW_BAD_CONFIG
]]
--- @include "includes/breaker"

local B = bw_load()
local config = bw_config_arg(6)
local created = false
if not B.exists then
  bw_write_config(B, config)
  created = true
end
bw_apply_due(B)
bw_save(B)
return bw_reply(B, { created = created, drift = B.cfg.hash ~= ARGV[6] })
