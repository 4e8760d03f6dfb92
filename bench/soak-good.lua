-- wrk script for bench/soak.sh: each connection cycles through the paths given after "--"
-- (default: the loop, the sync worker pool and the database), so the good clients exercise
-- every layer a bad client could leave something behind in.
local paths = { "/async?seconds=0", "/sync?seconds=0", "/db?id=1" }
local requests = {}
local next_index = 0

function init(args)
  if #args > 0 then paths = args end
  for i, p in ipairs(paths) do requests[i] = wrk.format("GET", p) end
end

function request()
  next_index = next_index % #requests + 1
  return requests[next_index]
end
