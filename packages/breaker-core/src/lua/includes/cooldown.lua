--[[
  Cooldown after B.probeFailures consecutive failed probes: cooldownMs x multiplier^k,
  step by step, plus up to cooldownJitter of itself keyed on (generation, now), and
  never more than maxCooldownMs (clamped again after the jitter). Identical arithmetic
  to src/state/cooldown.ts.
]]

local function bw_cooldown(B)
  local c = B.cfg.cooldownMs
  for _ = 1, B.probeFailures do
    c = c * B.cfg.cooldownMultiplier
    if c >= B.cfg.maxCooldownMs then
      c = B.cfg.maxCooldownMs
      break
    end
  end
  c = math.floor(c)
  if B.cfg.cooldownJitter > 0 then
    local P = 1000003
    local u = (((B.gen % P) * 7919 + (B.now % P)) % P) / P
    c = c + math.floor(c * B.cfg.cooldownJitter * u)
  end
  return math.min(c, B.cfg.maxCooldownMs)
end
