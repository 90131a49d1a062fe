if redis.call('EXISTS', KEYS[1], KEYS[2]) > 0 then return {1} end
local run = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')
local fence = run .. ':' .. (redis.call('GET', KEYS[4]) or '') .. '\n'
local me = redis.call('GET', KEYS[3])
if me and string.sub(me, 1, #fence) == fence then return {0, string.sub(me, #fence + 1)} end
return {2, fence}
