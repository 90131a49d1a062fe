local n = tonumber(ARGV[1])
for i = 1, n do
  redis.call('SET', KEYS[2 * i - 1], '1', 'EX', ARGV[2])
  redis.call('DEL', KEYS[2 * i])
end
redis.call('SET', KEYS[2 * n + 1], ARGV[3], 'EX', ARGV[4])
if KEYS[2 * n + 2] then redis.call('SET', KEYS[2 * n + 2], '1', 'EX', ARGV[2]) end
return 1
