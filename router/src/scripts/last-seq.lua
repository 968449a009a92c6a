--[[
  The last seq of a channel's stream, without copying the entry's data to the caller.

  KEYS[1]  the stream, stream:{<channel>}
  Reply:   the seq of the last entry, or 0 when the stream does not exist or is empty
]]
local tail = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if #tail == 0 then
  return 0
end
return tonumber(string.match(tail[1][1], '^(%d+)'))
