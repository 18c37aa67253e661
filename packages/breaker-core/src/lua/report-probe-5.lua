--[[
  report probe result: accepted only from the live lease of the current generation
  (fencing). Success counts toward successThreshold and closes the breaker when reached
  (window emptied); failure re-opens it with the next, possibly escalated, cooldown. A
  stale token, an old generation or an expired lease is refused and changes nothing.

  KEYS[1..5], ARGV[1..5]: see includes/load.lua.
  ARGV[6]  lease token as granted by acquire-probe (1..64 bytes)
  ARGV[7]  "success" | "failure"

  Output: JSON { accepted: true, snapshot, transitions }
       or JSON { accepted: false, reason: "stale" | "expired", snapshot, transitions }
  Errors: BW_NOT_FOUND, BW_BAD_INPUT, BW_BAD_CONFIG
]]
--- @include "includes/breaker"

local B = bw_load()
local token = bw_str(ARGV[6], 'token', 64)
local outcome = bw_one_of(ARGV[7], 'outcome', 'success', 'failure')
bw_require(B)
bw_apply_due(B)
local l = B.lease
local result
if not l or l.token ~= token or l.gen ~= B.gen or B.auto ~= 'half_open' then
  result = { accepted = false, reason = 'stale' }
elseif l.expiresAt <= B.now then
  result = { accepted = false, reason = 'expired' }
else
  if outcome == 'success' then
    bw_probe_succeeded(B, l.holder, 1)
  else
    bw_probe_failed(B, l.holder)
  end
  result = { accepted = true }
end
bw_save(B)
return bw_reply(B, result)
