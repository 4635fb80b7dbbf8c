// The Lua scripts behind RedisCounters: one admission and one settlement each run as one script, atomic on the
// server, with the time read from Redis (TIME) so that replicas with skewed clocks agree on every bucket.
//
// Buckets are hashes {t: units at u, u: milliseconds}; a missing bucket is a full one, so each expires once it would
// have refilled. Budgets are hashes {s: spent, r: reserved} of decimal micro-units that expire after an idle time.
// Lua numbers are doubles (exact to 2^53), so amounts travel as decimal strings and are added and compared as two
// parts (billions and the rest), each exact: exact for every amount below MAX_COUNTER_AMOUNT.

/** Budget amounts (micro-units) must stay below this: 10^24, where the high part of two reaches 2^53. */
export const MAX_COUNTER_AMOUNT = 10n ** 24n;

/** Decimal arithmetic on non-negative integers below 10^24, as {high, low} with low < 10^9. */
const DECIMALS = `
local PART = 1000000000
local function big(text)
  local n = #text
  if n <= 9 then return {0, tonumber(text)} end
  return {tonumber(string.sub(text, 1, n - 9)), tonumber(string.sub(text, n - 8))}
end
local function add(a, b)
  local low = a[2] + b[2]
  local high = a[1] + b[1]
  if low >= PART then return {high + 1, low - PART} end
  return {high, low}
end
local function compare(a, b)
  if a[1] ~= b[1] then return a[1] < b[1] and -1 or 1 end
  if a[2] ~= b[2] then return a[2] < b[2] and -1 or 1 end
  return 0
end
-- a - b, or zero when b is larger (a settlement never leaves reservations below zero)
local function minus(a, b)
  if compare(a, b) <= 0 then return {0, 0} end
  local low = a[2] - b[2]
  local high = a[1] - b[1]
  if low < 0 then return {high - 1, low + PART} end
  return {high, low}
end
local function text(a)
  if a[1] == 0 then return string.format('%d', a[2]) end
  return string.format('%d%09d', a[1], a[2])
end
local function float(x) return string.format('%.17g', x) end
-- Redis before 5 replicates scripts verbatim unless told to replicate their effects, which a script reading TIME needs.
if redis.replicate_commands then redis.replicate_commands() end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000
-- The units of a bucket now: refilled at limit/window per ms since its last update, at most limit; full when missing.
local function units(key, limit, window)
  local held = redis.call('HMGET', key, 't', 'u')
  if not held[1] then return limit end
  local elapsed = math.max(0, now - tonumber(held[2]))
  return math.min(limit, tonumber(held[1]) + elapsed * limit / window)
end
-- Stores a bucket, or deletes it when full (a missing bucket is full); it expires once it would have refilled.
local function store_bucket(key, tokens, limit, window)
  if tokens >= limit then
    redis.call('DEL', key)
    return
  end
  redis.call('HSET', key, 't', float(tokens), 'u', float(now))
  redis.call('PEXPIRE', key, math.ceil((limit - tokens) * window / limit) + 1000)
end
local function store_budget(key, budget, ttl)
  redis.call('HSET', key, 's', text(budget.spent), 'r', text(budget.reserved))
  redis.call('PEXPIRE', key, ttl)
end
`;

/**
 * KEYS: the buckets of the takes, then the budgets of the reservations. ARGV: takes, reservations, budget TTL (ms),
 * then cost, limit, window per take, then amount, room, limit, loaded spent ('' when not loaded) per reservation.
 * Answers {'load', indexes} when budgets are missing and were not loaded (nothing changed); {'refused', kind, index,
 * units, budgets}; or {'ok', units, budgets}: units before each take, spent and reserved after each reservation.
 */
export const ADMIT_SCRIPT = `${DECIMALS}
local takes = tonumber(ARGV[1])
local reservations = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local first = 4 + takes * 3
local missing = {}
for i = 1, reservations do
  if ARGV[first + (i - 1) * 4 + 3] == '' and redis.call('EXISTS', KEYS[takes + i]) == 0 then missing[#missing + 1] = i - 1 end
end
if #missing > 0 then return {'load', missing} end
local tokens = {}
local shapes = {}
local seen = {}
for i = 1, takes do
  local key = KEYS[i]
  local at = 4 + (i - 1) * 3
  local cost, limit, window = tonumber(ARGV[at]), tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2])
  local held = tokens[key]
  if held == nil then held = units(key, limit, window) end
  seen[i] = float(held)
  if cost > limit or cost > held then return {'refused', 'take', i - 1, seen, {}} end
  tokens[key] = held - cost
  shapes[key] = {limit, window}
end
local budgets = {}
local states = {}
for i = 1, reservations do
  local key = KEYS[takes + i]
  local at = first + (i - 1) * 4
  local amount, room, limit = big(ARGV[at]), big(ARGV[at + 1]), big(ARGV[at + 2])
  local budget = budgets[key]
  if budget == nil then
    local held = redis.call('HMGET', key, 's', 'r')
    if held[1] then
      budget = {spent = big(held[1]), reserved = big(held[2])}
    else
      budget = {spent = big(ARGV[at + 3]), reserved = {0, 0}, loaded = true}
    end
    budgets[key] = budget
  end
  local ok = compare(add(add(budget.spent, budget.reserved), room), limit) <= 0
  if ok then budget.reserved = add(budget.reserved, amount) end
  states[#states + 1] = text(budget.spent)
  states[#states + 1] = text(budget.reserved)
  if not ok then
    -- The spend just loaded from the ledger is kept (without this batch's reservations): the next call needs no load.
    for loadedKey, loaded in pairs(budgets) do
      if loaded.loaded then store_budget(loadedKey, {spent = loaded.spent, reserved = {0, 0}}, ttl) end
    end
    return {'refused', 'reservation', i - 1, seen, states}
  end
end
for key, held in pairs(tokens) do store_bucket(key, held, shapes[key][1], shapes[key][2]) end
for key, budget in pairs(budgets) do store_budget(key, budget, ttl) end
return {'ok', seen, states}
`;

/**
 * KEYS: the buckets of the adjusts, then the budgets of the settlements. ARGV: adjusts, settlements, budget TTL (ms),
 * then amount, limit, window per adjust, then reserved, actual per settlement. A missing budget is left alone: its
 * next use loads the spend from the ledger, which holds the settled call.
 */
export const SETTLE_SCRIPT = `${DECIMALS}
local adjusts = tonumber(ARGV[1])
local settlements = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
for i = 1, adjusts do
  local key = KEYS[i]
  local at = 4 + (i - 1) * 3
  local amount, limit, window = tonumber(ARGV[at]), tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2])
  store_bucket(key, math.min(limit, units(key, limit, window) + amount), limit, window)
end
local first = 4 + adjusts * 3
for i = 1, settlements do
  local key = KEYS[adjusts + i]
  local at = first + (i - 1) * 2
  local held = redis.call('HMGET', key, 's', 'r')
  if held[1] then
    store_budget(key, {spent = add(big(held[1]), big(ARGV[at + 1])), reserved = minus(big(held[2]), big(ARGV[at]))}, ttl)
  end
end
return 'ok'
`;
