--[[
  update config: replace the stored rules for every pod. A different bucket layout
  (windowMs or bucketMs) starts an empty window. Audited as config_update, with the
  canonical JSON of the rules before and after (audit fields fromConfig, toConfig).

  KEYS[1..5], ARGV[1..5]: see includes/load.lua.
  ARGV[6]    actor (1..512 bytes: BW_MAX_ACTOR_BYTES; the TS side allows 128 characters)
  ARGV[7]    reason (1..2000 bytes: BW_MAX_REASON_BYTES; the TS side allows 500 characters)
  ARGV[8]    config hash
  ARGV[9]    canonical config JSON
  ARGV[10..] config field/value pairs (checked before anything is written: BW_BAD_INPUT)

  Output: JSON { snapshot, transitions }
  Errors: BW_NOT_FOUND, BW_BAD_INPUT, BW_BAD_CONFIG
]]
--- @include "includes/breaker"

local B = bw_load()
local actor = bw_str(ARGV[6], 'actor', BW_MAX_ACTOR_BYTES)
local reason = bw_str(ARGV[7], 'reason', BW_MAX_REASON_BYTES)
local config = bw_config_arg(8)
bw_require(B)
bw_apply_due(B)
local oldWindow, oldBucket, oldJson = B.cfg.windowMs, B.cfg.bucketMs, B.cfg.json
bw_write_config(B, config)
if B.cfg.windowMs ~= oldWindow or B.cfg.bucketMs ~= oldBucket then
  redis.call('DEL', KEYS[3])
  B.win = {}
end
local state = bw_effective(B)
bw_transition(B, 'config_update', state, state, actor, reason, nil,
  { 'fromConfig', oldJson, 'toConfig', B.cfg.json })
bw_save(B)
return bw_reply(B, {})
