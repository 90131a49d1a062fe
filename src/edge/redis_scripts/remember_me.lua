local fence = redis.call('GET', KEYS[3])
if not fence then
  redis.call('SET', KEYS[3], ARGV[4], 'EX', ARGV[5])
  return 0
end
local run = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')
if ARGV[1] ~= run .. ':' .. fence .. '\n' or redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[2], ARGV[1] .. ARGV[2], 'EX', ARGV[3])
return 1
