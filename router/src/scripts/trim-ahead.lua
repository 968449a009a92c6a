--[[
  Removes what a stream holds beyond its channel's committed head (ARCHITECTURE invariant 13:
  Redis is never the authority). Only a client that wrote the stream itself can put an entry there
  (an XADD of a high id, `999999999-0`): every real append would then be refused as a duplicate and
  the channel would go silent. Deletes every entry above `<head>-0`, sets the stream's last id back
  to its real end (XSETID: XADD refuses ids below the highest ever added), then moves back the groups
  that were delivered past the real end, so their next read delivers what the relay appends.

  KEYS[1]  the stream, stream:{<channel>}
  ARGV[1]  the channel's head: its last committed seq in PostgreSQL, read after the stream's tail was
  ARGV[2]  the stream's last id as the caller saw it: nothing is done unless it is still the last
           (a router append can only follow a real tail; a changed tail means the caller's view is old)

  Reply: { removed, last, groups }
    removed  entries deleted (0 when the tail changed: call again with a fresh view)
    last     the stream's last seq afterwards (0 when nothing is left)
    groups   consumer groups whose last-delivered id was moved back to `<last>-0`
]]
local key = KEYS[1]
local head = ARGV[1]
local expectedTop = ARGV[2]
local removed = 0

local top = redis.call('XREVRANGE', key, '+', '-', 'COUNT', 1)
if #top == 0 or top[1][1] ~= expectedTop then
  return { 0, -1, 0 }
end

while true do
  local entries = redis.call('XRANGE', key, '(' .. head .. '-0', '+', 'COUNT', 1000)
  if #entries == 0 then
    break
  end
  local ids = {}
  for i, entry in ipairs(entries) do
    ids[i] = entry[1]
  end
  removed = removed + redis.call('XDEL', key, unpack(ids))
end

local last = 0
local tail = redis.call('XREVRANGE', key, '+', '-', 'COUNT', 1)
if #tail > 0 then
  last = tonumber(string.match(tail[1][1], '^(%d+)'))
end
-- A stream remembers the highest id it was ever given (XADD only accepts ids above it): set it
-- back to the real end, or the relay could not append the events that follow.
if removed > 0 then
  redis.call('XSETID', key, string.format('%d-0', last))
end

-- An id as { ms, seq } numbers, to compare without string order.
local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end

local groups = 0
if removed > 0 and redis.call('EXISTS', key) == 1 then
  for _, info in ipairs(redis.call('XINFO', 'GROUPS', key)) do
    local name, delivered
    for i = 1, #info, 2 do
      if info[i] == 'name' then name = info[i + 1] end
      if info[i] == 'last-delivered-id' then delivered = info[i + 1] end
    end
    local ms, seq = parse(delivered)
    if ms > last or (ms == last and seq > 0) then
      redis.call('XGROUP', 'SETID', key, name, string.format('%d-0', last))
      groups = groups + 1
    end
  end
end

return { removed, last, groups }
