-- wrk script for bench/login_flood.py: wrong-password POST /login, rotating X-Forwarded-For over
-- 1,000 addresses; counts responses by status. CSRF token and cookie come from the environment.
local token = os.getenv("FLOOD_CSRF_TOKEN")
local cookie = os.getenv("FLOOD_COOKIE")
local threads = {}
local n = 0
counts = {}  -- global: done() reads it from each thread

function setup(thread)
  thread:set("offset", #threads)
  table.insert(threads, thread)
end

function request()
  n = n + 1
  local k = (n * 7 + offset) % 1000
  local ip = "10." .. math.floor(k / 250) .. "." .. (k % 250) .. ".1"
  local body = "csrf_token=" .. token .. "&password=guess" .. n
  return wrk.format("POST", "/login", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = cookie,
    ["X-Forwarded-For"] = ip,
  }, body)
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("counts")) do
      total[status] = (total[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(total) do
    table.insert(parts, '"' .. status .. '": ' .. count)
  end
  io.write("STATUSES {" .. table.concat(parts, ", ") .. "}\n")
end
