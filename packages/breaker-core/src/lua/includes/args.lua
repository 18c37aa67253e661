--[[
  Argument checks and error replies shared by every script.

  Error replies start with a stable code, mapped to typed errors in exactly one
  place (src/errors/from-redis-error.ts):
    BW_BAD_INPUT   an argument is malformed or out of range; nothing was written
    BW_NOT_FOUND   the breaker does not exist; nothing was written
    BW_BAD_CONFIG  the stored config is unreadable; nothing was written
]]

--[[
  Byte bounds of the free-text arguments. The TS side (src/store/store-input.ts) bounds
  them in characters, actor 128 and reason 500, and one character is at most 4 UTF-8
  bytes: 4x those lets every valid call through while still bounding a raw caller.
]]
local BW_MAX_ACTOR_BYTES = 512
local BW_MAX_REASON_BYTES = 2000

local function bw_fail(code, message)
  error({ err = code .. ' ' .. message })
end

-- An integer in [min, max], from a string argument.
local function bw_int(value, argname, min, max)
  local n = tonumber(value)
  if n == nil or n ~= math.floor(n) or n < min or n > max then
    bw_fail('BW_BAD_INPUT', argname .. ': expected an integer in [' .. min .. ', ' .. max .. '], got ' .. tostring(value))
  end
  return n
end

-- A string of 1..max bytes that is not only whitespace.
local function bw_str(value, argname, max)
  if type(value) ~= 'string' or #value == 0 or #value > max or not string.find(value, '%S') then
    bw_fail('BW_BAD_INPUT', argname .. ': expected a non-blank string of at most ' .. max .. ' bytes')
  end
  return value
end

local function bw_one_of(value, argname, a, b)
  if value ~= a and value ~= b then
    bw_fail('BW_BAD_INPUT', argname .. ': expected "' .. a .. '" or "' .. b .. '", got ' .. tostring(value))
  end
  return value
end
