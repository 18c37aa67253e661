--[[
  record outcomes: add one pod's failure/success deltas to the current bucket (Redis
  time) and apply the trip rules. While closed: trip when failures in the window reach
  failureThreshold and are at least minFailureRatio of the window's calls, or the failure
  rate reaches rateThreshold over at least minimumCalls, and at least `quorum` distinct
  pods reported failures in the window. In shadow mode a half-open breaker treats
  ordinary outcomes as the probe. Re-creates a breaker whose keys vanished (Redis
  restarted) from the caller's config.

  KEYS[1..5], ARGV[1..5]: see includes/load.lua.
  ARGV[6]    pod id (1..128 bytes)
  ARGV[7]    failures since the pod's last flush (integer >= 0)
  ARGV[8]    successes since the pod's last flush (integer >= 0)
  ARGV[9]    config hash of the pod's config
  ARGV[10]   canonical config JSON
  ARGV[11..] config field/value pairs (checked before anything is written: BW_BAD_INPUT)

  Output: JSON { created, drift, snapshot, transitions }
  Errors: BW_BAD_INPUT, BW_BAD_CONFIG
]]
--- @include "includes/breaker"

local B = bw_load()
local pod = bw_str(ARGV[6], 'podId', 128)
local failures = bw_int(ARGV[7], 'failures', 0, 1000000000)
local successes = bw_int(ARGV[8], 'successes', 0, 1000000000)
local config = bw_config_arg(9)
local created = false
if not B.exists then
  bw_write_config(B, config)
  created = true
end
bw_apply_due(B)
bw_window_add(B, failures, successes)
if failures > 0 then
  bw_track_failing_pod(B, pod)
end
if B.auto == 'closed' then
  bw_evaluate_trip(B, pod)
elseif B.auto == 'half_open' and B.cfg.mode == 'shadow' then
  if failures > 0 then
    bw_probe_failed(B, pod)
  elseif successes > 0 then
    bw_probe_succeeded(B, pod, successes)
  end
end
bw_save(B)
return bw_reply(B, { created = created, drift = B.cfg.hash ~= ARGV[9] })
