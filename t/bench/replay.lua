-- wrk script of the data path bench (t/bench/datapath.py): replays
-- requests that were prepared (for ngx_s3, presigned URLs) beforehand,
-- one per key, cycling through them.
--
--     wrk ... -s replay.lua URL -- REQUESTS [BODY]
--
-- REQUESTS has one request per line: METHOD, PATH and "Name: value"
-- headers, separated by tabs.  BODY, when given, is the file whose bytes
-- are the body of every request (a presigned PUT signs UNSIGNED-PAYLOAD,
-- so any body is valid).  Every request string is built
-- once in init(), so request() costs a table lookup.  No response()
-- function: wrk then skips its Lua response path, and counts the non-2xx
-- answers itself.

local counter = 0

function setup(thread)
    thread:set("id", counter)
    counter = counter + 1
end

local reqs = {}
local n = 0
local idx = 0

function init(args)
    local body = nil

    if args[2] ~= nil and args[2] ~= "" then
        local f = assert(io.open(args[2], "rb"))
        body = f:read("*a")
        f:close()
    end

    for line in io.lines(args[1]) do
        local fields = {}
        for field in string.gmatch(line, "[^\t]+") do
            fields[#fields + 1] = field
        end

        local headers = {}
        for i = 3, #fields do
            local k, v = string.match(fields[i], "^([^:]+): (.*)$")
            headers[k] = v
        end

        n = n + 1
        reqs[n] = wrk.format(fields[1], fields[2], headers, body)
    end

    assert(n > 0, "no requests in " .. args[1])

    -- threads start at different keys
    idx = ((id or 0) * 7919) % n
end

function request()
    idx = idx % n + 1
    return reqs[idx]
end
