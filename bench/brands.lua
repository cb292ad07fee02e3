-- brands.lua: with -brands N, each request names the next of the N
-- generated brands in its Host (brand-0001.test, brand-0002.test, ...).
-- The requests are built once, in init; report.lua's done() follows this
-- file.
local reqs, n, i = {}, 0, 0
init = function(args)
  n = tonumber(args[1])
  for k = 0, n - 1 do
    wrk.headers["Host"] = string.format("brand-%04d.test", k + 1)
    reqs[k] = wrk.format()
  end
  i = math.random(0, n - 1)
end
request = function()
  i = (i + 1) % n
  return reqs[i]
end
