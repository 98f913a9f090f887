package ratelimit

import "github.com/redis/go-redis/v9"

// takeScript takes one token from the bucket at KEYS[1], atomically.
//
//	ARGV[1] rate, tokens per second (may be fractional)
//	ARGV[2] burst, the bucket's capacity (≥ 1)
//	ARGV[3] now in microseconds since the Unix epoch, or "" to use Redis TIME
//	ARGV[4] TTL of the key in milliseconds
//
// The hash holds "tokens" (a float) and "ts", the time of the last refill in
// microseconds. Times below 2^53 µs (year 2255) are exact in Lua's doubles. Both are
// written with %f rather than tostring, which rounds to 14 digits, or %g, whose
// exponents miniredis's Lua cannot read back. The reply is
// {1, 0} when a token was taken, else {0, µs until one will be available}.
var takeScript = redis.NewScript(`
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if not now then
  -- TIME is non-deterministic: replicate the writes, not the script (Redis < 5)
  redis.replicate_commands()
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end

local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens, ts = burst, now
end
-- a clock behind the last refill refills nothing, and ts never moves backwards
if now > ts then
  tokens = tokens + (now - ts) * rate / 1000000
  ts = now
end
if tokens > burst then
  tokens = burst
end

local ok, wait = 0, 0
if tokens >= 1 then
  tokens = tokens - 1
  ok = 1
else
  wait = math.ceil((ts - now) + (1 - tokens) * 1000000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.10f', tokens), 'ts', string.format('%.0f', ts))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {ok, wait}
`)
