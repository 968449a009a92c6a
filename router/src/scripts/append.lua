--[[
  Appends a run of consecutive committed events to a channel's stream, as a compare-and-set
  on the stream's last id (ARCHITECTURE invariant 4), then PUBLISHes each appended event.

  KEYS[1]  the stream, stream:{<channel>}
  ARGV[1]  the channel (also the pub/sub channel)
  ARGV[2]  seq of the first event of the run
  ARGV[3]  jump-from: -1, or the last seq the caller read from this stream and allows a hole
           after (the relay re-seeding only a tail, or skipping events retention deleted), or -2:
           any hole (a latest-value channel, whose seqs are versions with gaps)
  ARGV[4]  MAXLEN ~ for trimming; 0 keeps everything
  ARGV[5]  pub/sub channel that hears a channel's name when its stream is created, '' for none
  ARGV[6…] five values per event, in seq order: event_id, type, source, ts (ms), data (JSON text)

  Reply: { status, last }
    status  'appended'  at least one event was added (events at or below the last id are skipped)
            'duplicate' every event was already there; nothing changed
            'gap'       the stream ends before seq-1 (and not at jump-from); nothing changed
    last    the stream's last seq after the call (0 when the stream does not exist)

  Entries are `<seq>-0` with fields event_id, type, source, ts, data: the same event always makes
  the same entry, so re-appending is harmless. The stream's last id is read from its last entry:
  the router never XDELs, and MAXLEN ~ never trims a stream to empty.
]]
local key = KEYS[1]
local channel = ARGV[1]
local first = tonumber(ARGV[2])
local jumpFrom = tonumber(ARGV[3])
local maxlen = tonumber(ARGV[4])
local announce = ARGV[5]
local count = (#ARGV - 5) / 5

local last = 0
local tail = redis.call('XREVRANGE', key, '+', '-', 'COUNT', 1)
if #tail > 0 then
  last = tonumber(string.match(tail[1][1], '^(%d+)'))
end

local lastOfRun = first + count - 1
if last >= lastOfRun then
  return { 'duplicate', last }
end
if last < first - 1 and last ~= jumpFrom and jumpFrom ~= -2 then
  return { 'gap', last }
end

for i = 0, count - 1 do
  local seq = first + i
  if seq > last then
    local base = 5 + i * 5
    local id = string.format('%d-0', seq)
    local eventId, etype, source, ts, data = ARGV[base + 1], ARGV[base + 2], ARGV[base + 3], ARGV[base + 4], ARGV[base + 5]
    if maxlen > 0 then
      redis.call('XADD', key, 'MAXLEN', '~', maxlen, id,
        'event_id', eventId, 'type', etype, 'source', source, 'ts', ts, 'data', data)
    else
      redis.call('XADD', key, id, 'event_id', eventId, 'type', etype, 'source', source, 'ts', ts, 'data', data)
    end
    -- The live message carries the same fields as the entry, plus channel and seq.
    redis.call('PUBLISH', channel, '{"event_id":' .. cjson.encode(eventId) ..
      ',"channel":' .. cjson.encode(channel) .. ',"seq":' .. string.format('%d', seq) ..
      ',"type":' .. cjson.encode(etype) .. ',"source":' .. cjson.encode(source) ..
      ',"ts":' .. ts .. ',"data":' .. data .. '}')
  end
end

if last == 0 and announce ~= '' then
  redis.call('PUBLISH', announce, channel)
end
return { 'appended', lastOfRun }
