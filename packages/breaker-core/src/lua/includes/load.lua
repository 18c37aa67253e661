--[[
  Reads one breaker into a table B (bw_load does no writes); checks a config passed
  as arguments (bw_config_arg) and stores it (bw_write_config).

  KEYS (shared by every script, all carrying the breaker's {hash tag}):
    KEYS[1] state   hash: inc, auto, gen, openedAt, cooldownUntil, probeFailures, hoSuccesses,
                          lease*, leaseSeq, ov* (empty string = none)
    KEYS[2] config  hash: hash, json and one field per rule (see config-fields.ts)
    KEYS[3] window  hash: ring of buckets e<i> (epoch), f<i> (failures), s<i> (successes)
    KEYS[4] pods    zset: podId -> ms of its latest failure report
    KEYS[5] audit   stream of transitions
  ARGV (shared prefix):
    ARGV[1] now, ms since epoch; empty string = use Redis TIME (the default)
    ARGV[2] pub/sub channel for transitions
    ARGV[3] key TTL, ms, refreshed while the breaker is in use
    ARGV[4] audit stream MAXLEN
    ARGV[5] breaker name
]]

local function bw_now()
  if ARGV[1] ~= '' then
    return bw_int(ARGV[1], 'now', 0, 100000000000000)
  end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

--[[
  Which life of the breaker this is: Redis TIME in microseconds when its state was
  first written. A breaker whose keys were lost starts again at generation 0 and lease
  sequence 0, so lease tokens carry this to stay unique across lives. Always Redis
  TIME, even with an injected clock: a test clock may well repeat.
]]
local function bw_incarnation()
  local t = redis.call('TIME')
  return t[1] .. string.format('%06d', tonumber(t[2]))
end

local function bw_hgetall(key)
  local flat = redis.call('HGETALL', key)
  local t = {}
  for i = 1, #flat, 2 do
    t[flat[i]] = flat[i + 1]
  end
  return t
end

-- Empty string and nil both mean "none".
local function bw_num(v)
  if v == nil or v == '' then
    return nil
  end
  return tonumber(v)
end

-- A config table from hash fields, or nil and the first thing wrong with them.
local function bw_read_config(c)
  local cfg = {
    hash = c.hash,
    json = c.json,
    windowMs = bw_num(c.windowMs),
    bucketMs = bw_num(c.bucketMs),
    failureThreshold = bw_num(c.failureThreshold),
    minFailureRatio = bw_num(c.minFailureRatio),
    rateThreshold = bw_num(c.rateThreshold),
    minimumCalls = bw_num(c.minimumCalls),
    quorum = bw_num(c.quorum),
    cooldownMs = bw_num(c.cooldownMs),
    cooldownMultiplier = bw_num(c.cooldownMultiplier),
    maxCooldownMs = bw_num(c.maxCooldownMs),
    cooldownJitter = bw_num(c.cooldownJitter),
    probeLeaseMs = bw_num(c.probeLeaseMs),
    successThreshold = bw_num(c.successThreshold),
    mode = c.mode,
  }
  for _, field in ipairs({ 'hash', 'json', 'windowMs', 'bucketMs', 'failureThreshold', 'quorum', 'cooldownMs',
    'cooldownMultiplier', 'maxCooldownMs', 'cooldownJitter', 'probeLeaseMs', 'successThreshold', 'mode' }) do
    if cfg[field] == nil then
      return nil, 'lacks ' .. field
    end
  end
  -- Absent from configs stored before it existed: those keep the count rule alone (0), as
  -- they were written (parseCanonicalConfig reads their JSON the same way).
  if cfg.minFailureRatio == nil then
    if c.minFailureRatio ~= nil and c.minFailureRatio ~= '' then
      return nil, 'has minFailureRatio ' .. c.minFailureRatio .. ', not a number'
    end
    cfg.minFailureRatio = 0
  end
  -- The ring loops over windowMs / bucketMs slots: a bad layout would hang the script.
  if cfg.bucketMs < 1 or cfg.windowMs % cfg.bucketMs ~= 0 or cfg.windowMs / cfg.bucketMs > 600 then
    return nil, 'has windowMs ' .. cfg.windowMs .. ' not a multiple of bucketMs ' .. cfg.bucketMs
      .. ' with at most 600 buckets'
  end
  cfg.buckets = cfg.windowMs / cfg.bucketMs
  return cfg
end

-- The stored config; unreadable is BW_BAD_CONFIG (written by another version, or by hand).
local function bw_parse_config(c)
  local cfg, problem = bw_read_config(c)
  if not cfg then
    bw_fail('BW_BAD_CONFIG', 'stored config of ' .. ARGV[5] .. ' ' .. problem)
  end
  return cfg
end

local function bw_load()
  local B = {
    now = bw_now(),
    channel = ARGV[2],
    ttl = bw_int(ARGV[3], 'keyTtlMs', 1000, 100000000000),
    auditMax = bw_int(ARGV[4], 'auditMaxLength', 1, 1000000),
    name = ARGV[5],
    out = {},
    -- dirty: the state hash must be written; created: this call created a key (see save.lua)
    dirty = false,
    created = false,
  }
  local c = bw_hgetall(KEYS[2])
  B.exists = c.hash ~= nil
  if B.exists then
    B.cfg = bw_parse_config(c)
  end
  local s = bw_hgetall(KEYS[1])
  B.inc = s.inc
  if B.inc == nil or B.inc == '' then
    -- A new breaker (or one stored before incarnations): a new life, saved by this call.
    B.inc = bw_incarnation()
    B.dirty = true
  end
  B.auto = s.auto or 'closed'
  B.gen = bw_num(s.gen) or 0
  B.openedAt = bw_num(s.openedAt)
  B.cooldownUntil = bw_num(s.cooldownUntil)
  B.probeFailures = bw_num(s.probeFailures) or 0
  B.hoSuccesses = bw_num(s.hoSuccesses) or 0
  B.leaseSeq = bw_num(s.leaseSeq) or 0
  if s.leaseToken ~= nil and s.leaseToken ~= '' then
    B.lease = {
      token = s.leaseToken,
      holder = s.leaseHolder,
      expiresAt = tonumber(s.leaseExpiresAt),
      gen = tonumber(s.leaseGen),
    }
  end
  if s.ovMode ~= nil and s.ovMode ~= '' then
    B.ov = {
      mode = s.ovMode,
      reason = s.ovReason,
      actor = s.ovActor,
      setAt = tonumber(s.ovSetAt),
      expiresAt = tonumber(s.ovExpiresAt),
    }
  end
  B.win = bw_hgetall(KEYS[3])
  return B
end

--[[
  The caller's config from ARGV[first..]: hash, json, then field/value pairs. Checked
  (BW_BAD_INPUT) before the script writes anything, so a malformed one leaves the
  stored config, the audit and the channel as they were.
]]
local function bw_config_arg(first)
  local c = { hash = ARGV[first], json = ARGV[first + 1] }
  local fields = { 'hash', ARGV[first], 'json', ARGV[first + 1] }
  for i = first + 2, #ARGV, 2 do
    if ARGV[i + 1] == nil then
      bw_fail('BW_BAD_INPUT', 'config: field ' .. ARGV[i] .. ' has no value')
    end
    c[ARGV[i]] = ARGV[i + 1]
    fields[#fields + 1] = ARGV[i]
    fields[#fields + 1] = ARGV[i + 1]
  end
  local cfg, problem = bw_read_config(c)
  if not cfg then
    bw_fail('BW_BAD_INPUT', 'config ' .. problem)
  end
  return { cfg = cfg, fields = fields }
end

-- Replaces the stored config with one checked by bw_config_arg.
local function bw_write_config(B, config)
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[2], unpack(config.fields))
  B.cfg = config.cfg
  B.exists = true
  B.dirty = true
end

local function bw_require(B)
  if not B.exists then
    bw_fail('BW_NOT_FOUND', 'breaker ' .. B.name .. ' does not exist')
  end
end
