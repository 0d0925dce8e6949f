-- Trackershark benchmark baseline: the FLOOR.
--
-- Opens Tracker/Tracee JSON-lines logs the same way the real plugin (lua/plugin/tracker.lua) does,
-- one packet per event line behind the same exported-PDU header, and registers a dissector named
-- `tracker` that only sets the protocol column. `tshark -r file` with this plugin therefore costs
-- only reading the file: the lowest time any Lua plugin can reach. It also opens pcapng files made
-- with the real plugin, whose export tags name the `tracker` dissector.
--
-- Self-contained: no engine module. The reader's line classification (event, Tracker's own log
-- line, blank, other) and event time are found with plain string searches, not a JSON parse.

local find, sub, byte, char = string.find, string.sub, string.byte, string.char
local floor = math.floor

local proto = Proto("tracker", "Tracker Event (floor baseline)")

function proto.dissector(tvb, pinfo, tree)
    pinfo.cols.protocol = "TRACKER"
    return tvb:len()
end

---------------------------------------------------------------------------------------------------
-- Framing: the bytes the engine's frame_header() gives (engine/src/pcapng.rs): an exported-PDU
-- "protocol name" tag (12) of length 8 holding "tracker\0", then the end-of-options tag (0), length 0.

local FRAME_HEADER = char(0, 12, 0, 8) .. "tracker" .. char(0) .. char(0, 0, 0, 0)

---------------------------------------------------------------------------------------------------
-- Times: epoch nanoseconds (number or digit string), float seconds, RFC 3339 text, or
-- {"seconds":…,"nanos":…}. Returns secs, nanos or nil.

local MAX_SECS = 253402300799 -- 9999-12-31T23:59:59Z

local function days_from_civil(y, m, d)
    if m <= 2 then y = y - 1 end
    local era = floor(y / 400)
    local yoe = y - era * 400
    local mp = (m + 9) % 12
    local doy = floor((153 * mp + 2) / 5) + d - 1
    local doe = yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy
    return era * 146097 + doe - 719468
end

local function rfc3339(s)
    local y, mo, d, h, mi, se, rest = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)[Tt ](%d%d):(%d%d):(%d%d)(.*)$")
    if not y then return nil end
    local nanos = 0
    local frac, zone = rest:match("^%.(%d+)(.*)$")
    if frac then
        nanos = tonumber(sub(frac .. "000000000", 1, 9))
    else
        zone = rest
    end
    local offset = 0
    if zone ~= "Z" and zone ~= "z" then
        local sign, zh, zm = zone:match("^([+-])(%d%d):(%d%d)$")
        if not sign then return nil end
        offset = (tonumber(zh) * 60 + tonumber(zm)) * 60
        if sign == "-" then offset = -offset end
    end
    y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
    if mo < 1 or mo > 12 or d < 1 or d > 31 then return nil end
    local secs = days_from_civil(y, mo, d) * 86400 + tonumber(h) * 3600 + tonumber(mi) * 60 + tonumber(se) - offset
    if secs < 0 then return nil end
    return secs, nanos
end

local function epoch_nanos(digits)
    if #digits > 9 then
        local secs = tonumber(sub(digits, 1, -10))
        if secs > MAX_SECS then return nil end
        return secs, tonumber(sub(digits, -9))
    end
    return 0, tonumber(digits)
end

local function float_seconds(text)
    local x = tonumber(text)
    if not x or x ~= x or x < 0 or x > MAX_SECS then return nil end
    local secs = floor(x)
    local nanos = floor((x - secs) * 1e9 + 0.5)
    if nanos >= 1000000000 then nanos = 999999999 end
    return secs, nanos
end

-- The value of the first "timestamp" key in the line (a finding has it inside its Context).
local function line_time(line)
    local _, e = find(line, '"timestamp"%s*:%s*')
    if not e then return nil end
    local c = byte(line, e + 1)
    if c == 34 then -- a string: RFC 3339 or digits
        local text = line:match('^"([^"\\]*)"', e + 1)
        if not text then return nil end
        if find(text, "^%d+$") then return epoch_nanos(text) end
        return rfc3339(text)
    elseif c == 123 then -- {"seconds":…,"nanos":…}
        local body = line:match("^{([^{}]*)}", e + 1)
        if not body then return nil end
        local secs = tonumber(body:match('"seconds"%s*:%s*"?(%d+)') or "0")
        local nanos = tonumber(body:match('"nanos"%s*:%s*(%d+)') or "0")
        if secs > MAX_SECS or nanos >= 1000000000 then return nil end
        return secs, nanos
    end
    local num = line:match("^%d[%d%.eE+-]*", e + 1)
    if not num then return nil end
    if find(num, "^%d+$") then return epoch_nanos(num) end
    return float_seconds(num)
end

---------------------------------------------------------------------------------------------------
-- What a line is. `kubectl logs --prefix/--timestamps` lines carry tokens before the JSON.

local function is_prefix_token(tok)
    if byte(tok, 1) == 91 then -- "[pod/name/container]"
        return byte(tok, -1) == 93 and not find(tok, '"', 1, true)
    end
    return find(tok, "^%d") ~= nil and rfc3339(tok) ~= nil
end

-- Position of the JSON after a kubectl prefix starting at `first`, or nil.
local function json_start(line, first)
    if byte(line, first) == 123 then return first end
    local brace = find(line, "{", first, true)
    if not brace then return nil end
    local head = sub(line, first, brace - 1)
    local last = byte(head, -1)
    if last ~= 32 and last ~= 9 then return nil end
    for tok in head:gmatch("%S+") do
        if not is_prefix_token(tok) then return nil end
    end
    return brace
end

local function has(line, key, from)
    return find(line, key, from, true) ~= nil
end

-- "event", "log", "blank" or "garbage" (kept as a frame, as the real plugin does); then secs, nanos.
local function classify(line)
    local first = find(line, "[^ \t\r\n\v\f]")
    if not first then return "blank" end
    local start = json_start(line, first)
    if not start then return "garbage" end
    if has(line, '"eventName":', start) or has(line, '"eventId":', start) or has(line, '"eventID":', start)
        or (has(line, '"Context":', start) and has(line, '"SigMetadata":', start))
        or (has(line, '"name":', start) and (has(line, '"workload":', start) or has(line, '"threat":', start)
            or has(line, '"policies":', start) or has(line, '"data":', start) or has(line, '"timestamp":', start))) then
        return "event", line_time(line)
    end
    if (has(line, '"level":', start) or has(line, '"L":', start)) and (has(line, '"msg":', start) or has(line, '"M":', start)) then
        return "log"
    end
    return "garbage"
end

local function looks_like_event_start(line)
    local first = find(line, "[^ \t\r\n\v\f]")
    if not first then return false end
    local start = json_start(line, first)
    if not start then return false end
    return has(line, '"eventName":', start) or has(line, '"eventId":', start) or has(line, '"SigMetadata":', start)
        or has(line, '"workload":', start) or has(line, '"threat":', start)
end

-- Whether the start of a file is a Tracker JSON-lines log (the first lines decide; Tracker's own
-- log lines may come before the first event).
local function sniff(head)
    local seen_log, checked, pos = false, 0, 1
    while true do
        local nl = find(head, "\n", pos, true)
        local line = sub(head, pos, (nl or 0) - 1)
        if not nl and #head >= 4096 then
            -- a line cut off by the read size: judge an opening line by its first keys
            return checked == 0 and not seen_log and looks_like_event_start(line)
        end
        local kind = classify(line)
        if kind == "event" then return true end
        if kind == "garbage" then return false end
        if kind == "log" then seen_log = true end
        if kind ~= "blank" then
            checked = checked + 1
            if checked >= 64 then break end
        end
        if not nl then break end
        pos = nl + 1
    end
    return seen_log
end

---------------------------------------------------------------------------------------------------
-- File reader (as tracker.lua's, without the engine).

-- File:read("*l") returns at most 65535 bytes of a line; longer lines are read on in blocks.
local LINE_CAP = 65535
local function read_line(file)
    local start = file:seek()
    local line = file:read("*l")
    if line == nil or #line < LINE_CAP then return line end
    local parts, pos = {}, start
    file:seek("set", start)
    while true do
        local block = file:read(65536)
        if block == nil then break end
        local nl = block:find("\n", 1, true)
        if nl then
            parts[#parts + 1] = block:sub(1, nl - 1)
            file:seek("set", pos + nl)
            break
        end
        parts[#parts + 1] = block
        pos = pos + #block
    end
    return table.concat(parts)
end

local function fill_frame(frame, line, secs, nanos)
    local data = FRAME_HEADER .. line
    frame.rec_type = wtap_rec_types.PACKET
    frame.flags = wtap_presence_flags.TS + wtap_presence_flags.CAP_LEN
    frame.time = NSTime.new(secs or 0, nanos or 0)
    frame.captured_length = #data
    frame.original_length = #data
    frame.data = data
end

-- Reads lines from the current position until one that becomes a packet; returns its offset.
local function next_record(file, capture, frame)
    local state = capture.private_table
    while true do
        local offset = file:seek()
        local line = read_line(file)
        if line == nil then return false end
        local kind, secs, nanos = classify(line)
        if kind == "log" then
            state.skipped_logs = state.skipped_logs + 1
        elseif kind ~= "blank" then
            -- lines without a time keep the previous one, so the capture stays in order
            if secs then
                state.last = { secs, nanos }
            else
                state.untimed[offset] = state.last
                secs, nanos = state.last[1], state.last[2]
            end
            fill_frame(frame, line, secs, nanos)
            return offset
        end
    end
end

local reader = FileHandler.new("Tracker JSON (floor baseline)", "trackerjson_floor",
    "Tracker/Tracee JSON event log, one event per line (benchmark floor)", "rm")
reader.extensions = "json;jsonl;log;txt"

function reader.read_open(file, capture)
    local ok, is_tracker = pcall(function()
        file:seek("set", 0)
        local head = file:read(65536) or ""
        return sniff(head)
    end)
    if not (ok and is_tracker) then return false end
    file:seek("set", 0)
    capture.encap = wtap_encaps.WIRESHARK_UPPER_PDU
    capture.time_precision = wtap_tsprecs.NSEC
    capture.snapshot_length = 0
    capture.private_table = { skipped_logs = 0, untimed = {}, last = { 0, 0 } }
    return true
end

function reader.read(file, capture, frame)
    return next_record(file, capture, frame)
end

function reader.seek_read(file, capture, frame, offset)
    file:seek("set", offset)
    local line = read_line(file)
    if line == nil then return false end
    local _, secs, nanos = classify(line)
    if not secs then
        local t = capture.private_table.untimed[offset] or { 0, 0 }
        secs, nanos = t[1], t[2]
    end
    fill_frame(frame, line, secs, nanos)
    return true
end

register_filehandler(reader)
