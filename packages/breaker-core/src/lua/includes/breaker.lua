--[[
  The breaker library every script starts with, in dependency order:
    args        argument checks and error codes
    load        KEYS/ARGV contract; reads the breaker into B
    window      sliding window ring and failing-pod set
    cooldown    escalation and jitter
    transition  generation bump + audit + publish
    rules       the state machine (mirrors src/state/rules.ts)
    save        state hash and TTLs
    reply       the JSON reply
]]
--- @include "includes/args"
--- @include "includes/load"
--- @include "includes/window"
--- @include "includes/cooldown"
--- @include "includes/transition"
--- @include "includes/rules"
--- @include "includes/save"
--- @include "includes/reply"
