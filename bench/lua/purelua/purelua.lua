-- Trackershark benchmark baseline: a plain PURE-LUA dissector for Tracker/Tracee JSON events.
--
-- What someone would write without the Trackershark engine: the same file reader and framing as
-- the real plugin (one packet per event line behind an exported-PDU header naming `tracker`), a
-- small JSON decoder in Lua that keeps key order and byte offsets, and a tree close to the real
-- plugin's: "Tracker Event (JSON)" with the event metadata, a Context subtree (process, container,
-- kubernetes), Args (one item per argument, nested values as subtrees), Triggered By and the
-- signature Metadata. Fields are registered up front under `purelua.` (arguments share one
-- generic string field, since a plain dissector cannot know every argument's name).
--
-- Reads trace.Event JSON (Tracee v0.8 to v0.24, and the older Go-style keys), tracee-rules
-- findings and the protobuf-style JSON. Works with Wireshark 4.0 to 4.6 (Lua 5.2 and 5.4).

local find, sub, byte, char, match = string.find, string.sub, string.byte, string.char, string.match
local concat = table.concat
local floor = math.floor

local proto = Proto("tracker", "Tracker Event (JSON)")

---------------------------------------------------------------------------------------------------
-- Fields

local label_of = {} -- field -> display name, for values of the wrong type
local fields = {}
local function field(maker, abbrev, name, ...)
    local fld = maker("purelua." .. abbrev, name, ...)
    label_of[fld] = name
    fields[#fields + 1] = fld
    return fld
end
local PF = ProtoField
local severity_names = { [0] = "info", [1] = "low", [2] = "medium", [3] = "high", [4] = "critical" }

local f = {
    log_source = field(PF.string, "log_source", "Log source"),
    format = field(PF.string, "format", "Format"),
    timestamp = field(PF.absolute_time, "timestamp", "Timestamp", base.UTC),
    event_id = field(PF.int64, "event_id", "Event ID"),
    event_name = field(PF.string, "event_name", "Event name"),
    is_signature = field(PF.bool, "is_signature", "Signature"),
    version = field(PF.string, "version", "Event version"),
    matched_policies = field(PF.string, "matched_policies", "Matched policy"),
    matched_scopes = field(PF.uint64, "matched_scopes", "Matched scopes"),
    args_num = field(PF.uint64, "args_num", "Argument count"),
    return_value = field(PF.int64, "return_value", "Return value"),
    syscall = field(PF.string, "syscall", "Syscall"),
    processor_id = field(PF.uint64, "processor_id", "Processor ID"),
    stack = field(PF.none, "stack", "Stack addresses"),
    stack_address = field(PF.uint64, "stack.address", "Stack address", base.HEX),

    context = field(PF.none, "context", "Context"),
    hostname = field(PF.string, "hostname", "Hostname"),
    process_name = field(PF.string, "process.name", "Process name"),
    pid = field(PF.int64, "process.pid", "PID"),
    tid = field(PF.int64, "process.tid", "TID"),
    ppid = field(PF.int64, "process.ppid", "PPID"),
    host_pid = field(PF.int64, "process.host_pid", "Host PID"),
    host_tid = field(PF.int64, "process.host_tid", "Host TID"),
    host_ppid = field(PF.int64, "process.host_ppid", "Host PPID"),
    uid = field(PF.int64, "process.uid", "UID"),
    thread_start_time = field(PF.uint64, "process.thread_start_time", "Thread start time (ns)"),
    executable = field(PF.string, "process.executable", "Executable"),
    mount_ns = field(PF.uint64, "process.mount_ns", "Mount namespace"),
    pid_ns = field(PF.uint64, "process.pid_ns", "PID namespace"),
    cgroup_id = field(PF.uint64, "process.cgroup_id", "Cgroup ID"),
    thread_entity_id = field(PF.uint64, "process.thread_entity_id", "Thread entity ID"),
    entity_id = field(PF.uint64, "process.entity_id", "Process entity ID"),
    parent_entity_id = field(PF.uint64, "process.parent_entity_id", "Parent entity ID"),
    is_compat = field(PF.bool, "process.is_compat", "Compat (32-bit) task"),
    ancestor = field(PF.string, "process.ancestor", "Ancestor"),

    container = field(PF.none, "container", "Container"),
    container_id = field(PF.string, "container.id", "Container ID"),
    container_name = field(PF.string, "container.name", "Container name"),
    container_image = field(PF.string, "container.image", "Container image"),
    container_image_digest = field(PF.string, "container.image_digest", "Container image digest"),
    container_started = field(PF.bool, "container.started", "Container started"),

    kubernetes = field(PF.none, "kubernetes", "Kubernetes"),
    pod_name = field(PF.string, "kubernetes.pod_name", "Pod name"),
    pod_namespace = field(PF.string, "kubernetes.pod_namespace", "Pod namespace"),
    pod_uid = field(PF.string, "kubernetes.pod_uid", "Pod UID"),
    pod_sandbox = field(PF.bool, "kubernetes.pod_sandbox", "Pod sandbox"),
    pod_label = field(PF.string, "kubernetes.pod_label", "Pod label"),

    args = field(PF.none, "args", "Args"),
    arg = field(PF.string, "arg", "Argument"),
    member = field(PF.string, "member", "Member"),

    sig = field(PF.none, "sig", "Metadata"),
    sig_id = field(PF.string, "sig.id", "Signature ID"),
    sig_name = field(PF.string, "sig.name", "Signature name"),
    sig_version = field(PF.string, "sig.version", "Signature version"),
    sig_description = field(PF.string, "sig.description", "Description"),
    sig_severity = field(PF.uint32, "sig.severity", "Severity", base.DEC, severity_names),
    sig_category = field(PF.string, "sig.category", "Category"),
    sig_technique = field(PF.string, "sig.technique", "MITRE technique"),
    sig_external_id = field(PF.string, "sig.external_id", "MITRE technique ID"),
    sig_kubernetes_technique = field(PF.string, "sig.kubernetes_technique", "Kubernetes technique"),
    sig_mitre = field(PF.string, "sig.mitre", "MITRE ATT&CK"),
    sig_tactic = field(PF.string, "sig.tactic", "MITRE tactic"),
    sig_tag = field(PF.string, "sig.tag", "Tag"),
    sig_property = field(PF.string, "sig.property", "Property"),
    sig_data = field(PF.string, "sig.data", "Finding data"),

    triggered_by = field(PF.none, "triggered_by", "Triggered By"),
    triggered_by_id = field(PF.int64, "triggered_by.id", "Event ID"),
    triggered_by_name = field(PF.string, "triggered_by.name", "Event name"),
    triggered_by_return_value = field(PF.int64, "triggered_by.return_value", "Return value"),

    other = field(PF.string, "other", "Other field"),
}
proto.fields = fields

local e_malformed = ProtoExpert.new("purelua.malformed", "Malformed event", expert.group.MALFORMED, expert.severity.ERROR)
local e_wrong_type = ProtoExpert.new("purelua.wrong_type", "Value of an unexpected type", expert.group.PROTOCOL, expert.severity.WARN)
proto.experts = { e_malformed, e_wrong_type }

---------------------------------------------------------------------------------------------------
-- Times: epoch nanoseconds (number or digit string), float seconds, RFC 3339 text, or
-- {"seconds":…,"nanos":…}. Each returns secs, nanos or nil.

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
    local y, mo, d, h, mi, se, rest = match(s, "^(%d%d%d%d)%-(%d%d)%-(%d%d)[Tt ](%d%d):(%d%d):(%d%d)(.*)$")
    if not y then return nil end
    local nanos = 0
    local frac, zone = match(rest, "^%.(%d+)(.*)$")
    if frac then
        nanos = tonumber(sub(frac .. "000000000", 1, 9))
    else
        zone = rest
    end
    local offset = 0
    if zone ~= "Z" and zone ~= "z" then
        local sign, zh, zm = match(zone, "^([+-])(%d%d):(%d%d)$")
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
        local text = match(line, '^"([^"\\]*)"', e + 1)
        if not text then return nil end
        if find(text, "^%d+$") then return epoch_nanos(text) end
        return rfc3339(text)
    elseif c == 123 then -- {"seconds":…,"nanos":…}
        local body = match(line, "^{([^{}]*)}", e + 1)
        if not body then return nil end
        local secs = tonumber(match(body, '"seconds"%s*:%s*"?(%d+)') or "0")
        local nanos = tonumber(match(body, '"nanos"%s*:%s*(%d+)') or "0")
        if secs > MAX_SECS or nanos >= 1000000000 then return nil end
        return secs, nanos
    end
    local num = match(line, "^%d[%d%.eE+-]*", e + 1)
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
-- JSON decoder. Strings and numbers stay Lua strings (numbers as their text, so 64-bit values keep
-- every digit); objects and arrays become nodes:
--   node.kind (OBJ/ARR), node.n (member count), node.first/node.last (byte positions of the
--   brackets), node.map (objects: key -> member index, the last one wins), and per member i, at
--   b = (i-1)*5: node[b+1] key (false in arrays), node[b+2] kind, node[b+3] value,
--   node[b+4] first byte (the key's quote in objects), node[b+5] last byte of the value.

local STR, NUM, BOOL, NULL, OBJ, ARR = 1, 2, 3, 4, 5, 6
local MAX_DEPTH = 128

local function fail(msg, pos)
    error({ msg = msg, pos = pos }, 0)
end

local ESCAPES = { [34] = '"', [92] = "\\", [47] = "/", [98] = "\b", [102] = "\f", [110] = "\n", [114] = "\r", [116] = "\t" }

local function utf8_char(cp)
    if cp < 0x80 then return char(cp) end
    if cp < 0x800 then return char(0xC0 + floor(cp / 0x40), 0x80 + cp % 0x40) end
    if cp < 0x10000 then
        return char(0xE0 + floor(cp / 0x1000), 0x80 + floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
    end
    return char(0xF0 + floor(cp / 0x40000), 0x80 + floor(cp / 0x1000) % 0x40, 0x80 + floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
end

local STRING_STOP = '["\\\0-\31]' -- where a string ends or needs decoding

-- s[pos] is the opening quote; returns the decoded text and the position of the closing quote.
local function parse_string(s, pos)
    local _, e, plain = find(s, '^"([^"\\%c]*)"', pos) -- the common case: nothing to decode
    if e then return plain, e end
    local i = pos + 1
    local q = find(s, STRING_STOP, i)
    if not q then fail("unterminated string", pos) end
    local c = byte(s, q)
    if c == 34 then return sub(s, i, q - 1), q end
    local parts, n = {}, 0
    while true do
        if c == 34 then
            if q > i then n = n + 1; parts[n] = sub(s, i, q - 1) end
            return concat(parts, "", 1, n), q
        end
        if c ~= 92 then fail("control character in a string", q) end
        if q > i then n = n + 1; parts[n] = sub(s, i, q - 1) end
        local e = byte(s, q + 1)
        if e == 117 then -- \uXXXX, with surrogate pairs
            local hex = sub(s, q + 2, q + 5)
            if not find(hex, "^%x%x%x%x$") then fail("bad \\u escape", q) end
            local cp = tonumber(hex, 16)
            i = q + 6
            if cp >= 0xD800 and cp <= 0xDBFF and sub(s, i, i + 1) == "\\u" then
                local low = sub(s, i + 2, i + 5)
                if find(low, "^%x%x%x%x$") then
                    local lo = tonumber(low, 16)
                    if lo >= 0xDC00 and lo <= 0xDFFF then
                        cp = 0x10000 + (cp - 0xD800) * 0x400 + (lo - 0xDC00)
                        i = i + 6
                    end
                end
            end
            if cp >= 0xD800 and cp <= 0xDFFF then cp = 0xFFFD end -- a lone surrogate
            n = n + 1; parts[n] = utf8_char(cp)
        else
            local r = e and ESCAPES[e]
            if not r then fail("bad escape", q) end
            n = n + 1; parts[n] = r
            i = q + 2
        end
        q = find(s, STRING_STOP, i)
        if not q then fail("unterminated string", pos) end
        c = byte(s, q)
    end
end

-- Returns the number's text and its last position.
local function parse_number(s, pos)
    local _, e = find(s, "^-?%d+", pos)
    if not e then fail("unexpected character", pos) end
    local lead = byte(s, pos) == 45 and pos + 1 or pos
    if byte(s, lead) == 48 and e > lead then fail("number with a leading zero", pos) end
    local c = byte(s, e + 1)
    if c ~= 46 and c ~= 101 and c ~= 69 then return sub(s, pos, e), e end -- an integer
    local _, fe = find(s, "^%.%d+", e + 1)
    if fe then e = fe elseif byte(s, e + 1) == 46 then fail("bad number", pos) end
    local _, xe = find(s, "^[eE][-+]?%d+", e + 1)
    if xe then e = xe else
        local c = byte(s, e + 1)
        if c == 101 or c == 69 then fail("bad number", pos) end
    end
    return sub(s, pos, e), e
end

local parse_value

local function parse_container(s, pos, depth, is_object)
    if depth > MAX_DEPTH then fail("nested more than " .. MAX_DEPTH .. " levels", pos) end
    local close = is_object and 125 or 93
    local node = { kind = is_object and OBJ or ARR, n = 0, first = pos }
    local map = is_object and {} or nil
    node.map = map
    local p = find(s, "[^ \t\r\n]", pos + 1)
    if not p then fail("unterminated " .. (is_object and "object" or "array"), pos) end
    if byte(s, p) == close then node.last = p; return node, p end
    local n, b = 0, 0
    while true do
        local key, vp = false, p
        if is_object then
            local _, ke, plain = find(s, '^"([^"\\%c]*)":', p) -- the common case: "key":
            if ke then
                key, vp = plain, ke + 1
            else
                if byte(s, p) ~= 34 then fail("expected a key", p) end
                key, ke = parse_string(s, p)
                local colon = find(s, "[^ \t\r\n]", ke + 1)
                if not colon or byte(s, colon) ~= 58 then fail("expected ':'", colon or ke) end
                vp = colon + 1
            end
            local c = byte(s, vp)
            if c == 32 or c == 9 or c == 10 or c == 13 or not c then
                vp = find(s, "[^ \t\r\n]", vp)
                if not vp then fail("missing value", ke) end
            end
            map[key] = n + 1
        end
        local kind, value, ve = parse_value(s, vp, depth)
        n = n + 1
        node[b + 1], node[b + 2], node[b + 3], node[b + 4], node[b + 5] = key, kind, value, p, ve
        b = b + 5
        p = ve + 1
        local c = byte(s, p)
        if c == 32 or c == 9 or c == 10 or c == 13 then
            p = find(s, "[^ \t\r\n]", p)
            c = p and byte(s, p)
        end
        if not c then fail("unterminated " .. (is_object and "object" or "array"), pos) end
        if c == 44 then
            p = p + 1
            c = byte(s, p)
            if c == 32 or c == 9 or c == 10 or c == 13 then p = find(s, "[^ \t\r\n]", p); c = p and byte(s, p) end
            if not c then fail("unterminated " .. (is_object and "object" or "array"), pos) end
        elseif c == close then
            node.n, node.last = n, p
            return node, p
        else
            fail("expected ',' or '" .. char(close) .. "'", p)
        end
    end
end

-- s[pos] starts a value; returns kind, value, last position.
function parse_value(s, pos, depth)
    local c = byte(s, pos)
    if c == 34 then
        local v, e = parse_string(s, pos)
        return STR, v, e
    elseif c == 123 then
        local v, e = parse_container(s, pos, depth + 1, true)
        return OBJ, v, e
    elseif c == 91 then
        local v, e = parse_container(s, pos, depth + 1, false)
        return ARR, v, e
    elseif c == 116 then
        if sub(s, pos, pos + 3) == "true" then return BOOL, true, pos + 3 end
    elseif c == 102 then
        if sub(s, pos, pos + 4) == "false" then return BOOL, false, pos + 4 end
    elseif c == 110 then
        if sub(s, pos, pos + 3) == "null" then return NULL, nil, pos + 3 end
    else
        local v, e = parse_number(s, pos)
        return NUM, v, e
    end
    fail("unexpected character", pos)
end

-- Decodes the JSON text of `s` that starts at `pos`; returns kind, value.
local function decode(s, pos)
    local kind, value, e = parse_value(s, pos, 0)
    local rest = find(s, "[^ \t\r\n]", e + 1)
    if rest then fail("data after the JSON value", rest) end
    return kind, value
end

-- kind, value, first, last of an object's member, or nil.
local function get(obj, key)
    local i = obj and obj.kind == OBJ and obj.map[key]
    if not i then return nil end
    local b = (i - 1) * 5
    return obj[b + 2], obj[b + 3], obj[b + 4], obj[b + 5]
end

local function get_object(obj, key)
    local kind, v = get(obj, key)
    if kind == OBJ then return v end
    return nil
end

---------------------------------------------------------------------------------------------------
-- Tree helpers. `cur_tvb`/`cur_s`: the packet being dissected and its text.

local cur_tvb, cur_s
local RAW_CAP = 256

local function range(a, b) return cur_tvb(a - 1, b - a + 1) end

-- A value as text: strings as they are, numbers as written, containers as (capped) raw JSON.
local function text_of(kind, v)
    if kind == STR or kind == NUM then return v end
    if kind == BOOL then return v and "true" or "false" end
    if kind == NULL then return "null" end
    local first, last = v.first, v.last
    if last - first >= RAW_CAP then return sub(cur_s, first, first + RAW_CAP - 1) .. "…" end
    return sub(cur_s, first, last)
end

-- Protobuf JSON wraps some scalars: {"value": 1000}.
local function unwrap(kind, v)
    if kind == OBJ and v.n == 1 and v.map.value then return get(v, "value") end
    return kind, v
end

local INT64_MAX, UINT64_MAX = "9223372036854775807", "18446744073709551615"

-- A 64-bit integer field value (Int64/UInt64: Wireshark's 64-bit fields take no plain numbers)
-- from number text or a digit string, or nil if it is no integer in range.
local function to_int(text, unsigned)
    if not find(text, "^-?%d+$") then return nil end
    local neg = byte(text, 1) == 45
    if unsigned and neg then return nil end
    local digits = neg and sub(text, 2) or text
    if #digits >= 19 then
        digits = match(digits, "^0*(%d.*)$")
        local limit = unsigned and UINT64_MAX or INT64_MAX
        if #digits > #limit or (#digits == #limit and digits > limit) then return nil end
    end
    if unsigned then return UInt64(text) end
    return Int64(text)
end

-- A small non-negative integer as a Lua number, or nil.
local function to_small(kind, v)
    if (kind == NUM or kind == STR) and find(v, "^%d+$") and #v <= 15 then return tonumber(v) end
    return nil
end

local function time_of(kind, v)
    kind, v = unwrap(kind, v)
    if kind == NUM then
        if find(v, "^%d+$") then return epoch_nanos(v) end
        return float_seconds(v)
    elseif kind == STR then
        if find(v, "^%d+$") then return epoch_nanos(v) end
        return rfc3339(v)
    elseif kind == OBJ then
        local sk, sv = get(v, "seconds")
        local nk, nv = get(v, "nanos")
        if not sk and not nk then return nil end
        local secs = sk and to_small(sk, sv) or 0
        local nanos = nk and to_small(nk, nv) or 0
        if (sk and not to_small(sk, sv)) or (nk and not to_small(nk, nv)) then return nil end
        if secs > MAX_SECS or nanos >= 1000000000 then return nil end
        return secs, nanos
    end
    return nil
end

-- How a member becomes a field value.
local AS_STR, AS_INT, AS_UINT, AS_BOOL, AS_TIME, AS_NS = 1, 2, 3, 4, 5, 6

-- A value that does not fit its field: shown as text, flagged.
local function add_wrong(tree, label, kind, v, a, b)
    local item = tree:add(f.other, range(a, b), text_of(kind, v))
    item:set_text(label .. ": " .. text_of(kind, v))
    item:add_proto_expert_info(e_wrong_type, label .. ": unexpected value " .. text_of(kind, v))
    return item
end

-- Adds member (kind, v, a, b) as `fld`, converted as `as`. Nulls add nothing.
local function add_value(tree, fld, as, kind, v, a, b)
    if kind == nil or kind == NULL then return nil end
    kind, v = unwrap(kind, v)
    local r = range(a, b)
    if as == AS_STR then
        if kind == STR or kind == NUM then return tree:add(fld, r, v) end
        if kind == BOOL then return tree:add(fld, r, text_of(kind, v)) end
    elseif as == AS_INT or as == AS_UINT then
        if kind == NUM or kind == STR then
            local n = to_int(v, as == AS_UINT)
            if n then return tree:add(fld, r, n) end
        end
    elseif as == AS_BOOL then
        if kind == BOOL then return tree:add(fld, r, v) end
    elseif as == AS_TIME or as == AS_NS then
        local secs, nanos = time_of(kind, v)
        if secs then
            if as == AS_TIME then return tree:add(fld, r, NSTime.new(secs, nanos)) end
            return tree:add(fld, r, UInt64(secs) * 1000000000 + nanos)
        end
    end
    return add_wrong(tree, label_of[fld], kind, v, a, b)
end

local function add_key(tree, obj, key, fld, as)
    local kind, v, a, b = get(obj, key)
    if kind then return add_value(tree, fld, as, kind, v, a, b) end
end

-- Like add_key, but an empty string adds nothing (the flat fields of older schemas).
local function add_key_nonempty(tree, obj, key, fld, as)
    local kind, v, a, b = get(obj, key)
    if kind and not (kind == STR and v == "") then return add_value(tree, fld, as, kind, v, a, b) end
end

-- One item per element of an array (or one item for a scalar).
local function add_list(tree, fld, kind, v, a, b)
    if kind == ARR then
        for i = 1, v.n do
            local o = (i - 1) * 5
            add_value(tree, fld, AS_STR, v[o + 2], v[o + 3], v[o + 4], v[o + 5])
        end
    elseif kind then
        add_value(tree, fld, AS_STR, kind, v, a, b)
    end
end

local MAX_TREE_DEPTH = 16 -- Wireshark refuses trees deeper than its limit (32 by default)

local function add_members(tree, node, depth)
    for i = 1, node.n do
        local o = (i - 1) * 5
        local kind, v = node[o + 2], node[o + 3]
        local text = text_of(kind, v)
        local item = tree:add(f.member, range(node[o + 4], node[o + 5]), text)
        item:set_text((node[o + 1] or ("[" .. (i - 1) .. "]")) .. ": " .. text)
        if (kind == OBJ or kind == ARR) and depth < MAX_TREE_DEPTH then add_members(item, v, depth + 1) end
    end
end

-- An argument: "name: value", nested values as subtrees. Returns its text for the Info column.
local function add_arg(tree, name, kind, v, a, b, depth)
    local text = text_of(kind, v)
    local item = tree:add(f.arg, range(a, b), text)
    item:set_text(name .. ": " .. text)
    if (kind == OBJ or kind == ARR) and depth < MAX_TREE_DEPTH then add_members(item, v, depth + 1) end
    return text
end

---------------------------------------------------------------------------------------------------
-- Info column: "eventName: a=1, b="x"", capped.

local INFO_CAP = 400
local INFO_VALUE_CAP = 120

local function info_add(info, name, kind, text)
    if info.len > INFO_CAP then return end
    if #text > INFO_VALUE_CAP then text = sub(text, 1, INFO_VALUE_CAP) .. "…" end
    local part = kind == STR and (name .. '="' .. text .. '"') or (name .. "=" .. text)
    info.n = info.n + 1
    info[info.n] = part
    info.len = info.len + #part + 2
    if info.len > INFO_CAP then info.n = info.n + 1; info[info.n] = "…" end
end

---------------------------------------------------------------------------------------------------
-- trace.Event JSON (and findings, whose Context is one)

local HEADER = {
    { "eventId", f.event_id, AS_INT }, { "eventID", f.event_id, AS_INT },
    { "eventName", f.event_name, AS_STR },
    "signature",
    { "matchedPolicies", f.matched_policies, "list" }, { "matchedScopes", f.matched_scopes, AS_UINT },
    { "argsNum", f.args_num, AS_UINT }, { "returnValue", f.return_value, AS_INT },
    { "syscall", f.syscall, AS_STR }, { "processorId", f.processor_id, AS_UINT },
}

local CONTEXT = {
    { "hostName", f.hostname, AS_STR }, { "processName", f.process_name, AS_STR },
    { "processId", f.pid, AS_INT }, { "processID", f.pid, AS_INT },
    { "threadId", f.tid, AS_INT }, { "threadID", f.tid, AS_INT },
    { "parentProcessId", f.ppid, AS_INT }, { "parentProcessID", f.ppid, AS_INT },
    { "hostProcessId", f.host_pid, AS_INT }, { "hostProcessID", f.host_pid, AS_INT },
    { "hostThreadId", f.host_tid, AS_INT }, { "hostThreadID", f.host_tid, AS_INT },
    { "hostParentProcessId", f.host_ppid, AS_INT }, { "hostParentProcessID", f.host_ppid, AS_INT },
    { "userId", f.uid, AS_INT }, { "userID", f.uid, AS_INT },
    { "threadStartTime", f.thread_start_time, AS_UINT },
    { "mountNamespace", f.mount_ns, AS_UINT }, { "mountNS", f.mount_ns, AS_UINT },
    { "pidNamespace", f.pid_ns, AS_UINT }, { "PIDNS", f.pid_ns, AS_UINT },
    { "cgroupId", f.cgroup_id, AS_UINT },
    { "threadEntityId", f.thread_entity_id, AS_UINT }, { "processEntityId", f.entity_id, AS_UINT },
    { "parentEntityId", f.parent_entity_id, AS_UINT },
}

local CONTAINER_OBJECT = {
    { "id", f.container_id }, { "name", f.container_name }, { "image", f.container_image },
    { "imageDigest", f.container_image_digest },
}
local CONTAINER_FLAT = {
    { "containerId", f.container_id }, { "containerName", f.container_name },
    { "containerImage", f.container_image }, { "containerImageDigest", f.container_image_digest },
}
local KUBERNETES = {
    { "podName", f.pod_name, AS_STR }, { "podNamespace", f.pod_namespace, AS_STR },
    { "podUID", f.pod_uid, AS_STR }, { "podSandbox", f.pod_sandbox, AS_BOOL },
}

-- Top-level keys shown in their own places; any other one becomes an "Other field".
local KNOWN = {
    timestamp = true, args = true, metadata = true, stackAddresses = true, executable = true,
    contextFlags = true, container = true, kubernetes = true, detectedFrom = true, context = true,
}
for _, list in ipairs({ HEADER, CONTEXT, CONTAINER_FLAT, KUBERNETES }) do
    for _, spec in ipairs(list) do
        if type(spec) == "table" then KNOWN[spec[1]] = true end
    end
end

-- Signature metadata (trace.Event "metadata", tracee-rules "SigMetadata").
local SIG_KEYS = {
    ID = f.sig_id, Name = f.sig_name, Version = f.sig_version, Description = f.sig_description,
}
local SIG_PROPERTIES = {
    Category = f.sig_category, Kubernetes_Technique = f.sig_kubernetes_technique, Technique = f.sig_technique,
    external_id = f.sig_external_id, signatureID = f.sig_id, signatureName = f.sig_name,
    ["MITRE ATT&CK"] = f.sig_mitre,
}
local SEVERITY_LEVELS = { INFO = 0, LOW = 1, MEDIUM = 2, HIGH = 3, CRITICAL = 4 }

local function add_severity(tree, kind, v, a, b)
    if kind == STR and SEVERITY_LEVELS[v] then
        return tree:add(f.sig_severity, range(a, b), SEVERITY_LEVELS[v])
    end
    local n = to_small(kind, v)
    if n and n < 2 ^ 32 then return tree:add(f.sig_severity, range(a, b), n) end
    return add_wrong(tree, "Severity", kind, v, a, b)
end

local function add_property(tree, name, kind, v, a, b)
    local text = text_of(kind, v)
    local item = tree:add(f.sig_property, range(a, b), name .. ": " .. text)
    if (kind == OBJ or kind == ARR) then add_members(item, v, 1) end
end

local function add_sig_properties(tree, props)
    for i = 1, props.n do
        local o = (i - 1) * 5
        local key, kind, v, a, b = props[o + 1], props[o + 2], props[o + 3], props[o + 4], props[o + 5]
        if key == "Severity" then
            add_severity(tree, kind, v, a, b)
        elseif SIG_PROPERTIES[key] then
            add_value(tree, SIG_PROPERTIES[key], AS_STR, kind, v, a, b)
        elseif kind ~= NULL then
            add_property(tree, key, kind, v, a, b)
        end
    end
end

-- Adds the Metadata subtree; returns the signature's name.
local function add_sig_metadata(tree, meta)
    local sub_tree = tree:add(f.sig, range(meta.first, meta.last))
    for i = 1, meta.n do
        local o = (i - 1) * 5
        local key, kind, v, a, b = meta[o + 1], meta[o + 2], meta[o + 3], meta[o + 4], meta[o + 5]
        if SIG_KEYS[key] then
            add_value(sub_tree, SIG_KEYS[key], AS_STR, kind, v, a, b)
        elseif key == "Tags" then
            add_list(sub_tree, f.sig_tag, kind, v, a, b)
        elseif key == "Properties" and kind == OBJ then
            add_sig_properties(sub_tree, v)
        elseif kind ~= NULL then
            add_property(sub_tree, key, kind, v, a, b)
        end
    end
    local props = get_object(meta, "Properties")
    local k, name = get(props, "signatureName")
    if k == STR then return name end
    k, name = get(meta, "Name")
    if k == STR then return name end
    return nil
end

-- The argument that carries a signature's triggering event: "triggeredBy" (up to v0.23) or
-- "detectedFrom" (v0.24). Returns its index and value.
local TRIGGER_ARGS = { triggeredBy = true, detectedFrom = true }
local function find_trigger(kind, args)
    if kind ~= ARR then return nil end
    for i = 1, args.n do
        local o = (i - 1) * 5
        if args[o + 2] == OBJ then
            local arg = args[o + 3]
            local nk, name = get(arg, "name")
            local vk, v = get(arg, "value")
            if nk == STR and TRIGGER_ARGS[name] and vk == OBJ then return i, v end
        end
    end
    return nil
end

-- Adds a trace.Event args array to `tree` (an Args subtree is made here, if there is any argument
-- besides argument number `skip`); fills `info`.
local function add_args(tree, kind, args, a, b, info, skip)
    if kind ~= ARR then
        if kind and kind ~= NULL then add_wrong(tree, "Args", kind, args, a, b) end
        return
    end
    local args_tree
    for i = 1, args.n do
        local o = (i - 1) * 5
        local ak, arg, aa, ab = args[o + 2], args[o + 3], args[o + 4], args[o + 5]
        if i == skip then
            -- shown as Triggered By
        elseif ak == OBJ then
            local nk, name = get(arg, "name")
            if nk ~= STR then
                nk, name = get(get_object(arg, "argMeta"), "name")
            end
            if nk ~= STR then name = "[" .. (i - 1) .. "]" end
            local vk, v = get(arg, "value")
            if vk == nil then vk = NULL end
            args_tree = args_tree or tree:add(f.args, range(a, b))
            local text = add_arg(args_tree, name, vk, v, aa, ab, 1)
            if info then info_add(info, name, vk, text) end
        else
            args_tree = args_tree or tree:add(f.args, range(a, b))
            add_wrong(args_tree, "Argument", ak, arg, aa, ab)
        end
    end
end

local function add_triggered_by(tree, ev)
    local nk, name = get(ev, "name")
    local item = tree:add(f.triggered_by, range(ev.first, ev.last))
    if nk == STR then item:append_text(": " .. name) end
    add_key(item, ev, "id", f.triggered_by_id, AS_INT)
    add_key(item, ev, "name", f.triggered_by_name, AS_STR)
    add_key(item, ev, "returnValue", f.triggered_by_return_value, AS_INT)
    local ak, args, a, b = get(ev, "args")
    add_args(item, ak, args, a, b, nil, nil)
end

local function add_container(context, ev, cobj, flags)
    local has_flat = false
    for _, spec in ipairs(CONTAINER_FLAT) do
        local k, v = get(ev, spec[1])
        if k and not (k == STR and v == "") then has_flat = true end
    end
    local started = get(flags, "containerStarted")
    if not (has_flat or started or (cobj and cobj.n > 0)) then return end
    local r = cobj and range(cobj.first, cobj.last) or range(1, #cur_s)
    local tree = context:add(f.container, r)
    if cobj then
        for _, spec in ipairs(CONTAINER_OBJECT) do add_key(tree, cobj, spec[1], spec[2], AS_STR) end
    end
    for i, spec in ipairs(CONTAINER_FLAT) do -- the same fields as CONTAINER_OBJECT, in its order
        if not (cobj and get(cobj, CONTAINER_OBJECT[i][1])) then add_key_nonempty(tree, ev, spec[1], spec[2], AS_STR) end
    end
    add_key(tree, flags, "containerStarted", f.container_started, AS_BOOL)
end

local function add_kubernetes(context, ev, kobj)
    local has_flat = false
    for _, spec in ipairs(KUBERNETES) do
        local k, v = get(ev, spec[1])
        if k and k ~= NULL and not (k == STR and v == "") then has_flat = true end
    end
    if not (has_flat or (kobj and kobj.n > 0)) then return end
    local tree = context:add(f.kubernetes, kobj and range(kobj.first, kobj.last) or range(1, #cur_s))
    for _, spec in ipairs(KUBERNETES) do
        if kobj and get(kobj, spec[1]) then
            add_key(tree, kobj, spec[1], spec[2], spec[3])
        else
            add_key_nonempty(tree, ev, spec[1], spec[2], spec[3])
        end
    end
end

local function add_stack(tree, kind, v, a, b)
    if kind ~= ARR then
        if kind and kind ~= NULL then add_wrong(tree, "Stack addresses", kind, v, a, b) end
        return
    end
    if v.n == 0 then return end
    local stack = tree:add(f.stack, range(a, b))
    stack:append_text(" (" .. v.n .. ")")
    for i = 1, v.n do
        local o = (i - 1) * 5
        add_value(stack, f.stack_address, AS_UINT, v[o + 2], v[o + 3], v[o + 4], v[o + 5])
    end
end

local function event_id_number(ev)
    local k, v = get(ev, "eventId")
    if not k then k, v = get(ev, "eventID") end
    if k == NUM or k == STR then return tonumber(v) end
    return nil
end

-- The first of the objects a, b, c that has `key`.
local function holder(key, a, b, c)
    if a and a.map[key] then return a end
    if b and b.map[key] then return b end
    if c and c.map[key] then return c end
    return nil
end

-- ev: the event object; finding: the tracee-rules finding around it, or nil.
-- Returns the Info text and whether it is a signature.
local function dissect_trace_event(root, ev, finding)
    local meta = get_object(ev, "metadata")
    local sig_meta = finding and get_object(finding, "SigMetadata")
    local id = event_id_number(ev)
    local ak, args, a, b = get(ev, "args")
    local trigger_index, trigger = find_trigger(ak, args)
    trigger = trigger or get_object(ev, "detectedFrom")
    local is_sig = finding ~= nil or meta ~= nil or trigger ~= nil or (id ~= nil and id >= 6000 and id < 7000)
    -- tracee-rules' own event form nests the context: "context": {"processorId", "process": {…},
    -- "container", "kubernetes", "flags", "syscall"}
    local nested = get_object(ev, "context")
    local nested_process = get_object(nested, "process")

    root:add(f.format, cur_tvb(0, 0), finding and "tracee-rules finding" or "trace.Event JSON"):set_generated()
    add_key(root, ev, "timestamp", f.timestamp, AS_TIME)
    for _, spec in ipairs(HEADER) do
        if spec == "signature" then
            if is_sig then root:add(f.is_signature, cur_tvb(0, 0), true):set_generated() end
        else
            local kind, v, a, b = get(holder(spec[1], ev, nested), spec[1])
            if kind then
                if spec[3] == "list" then add_list(root, spec[2], kind, v, a, b)
                else add_value(root, spec[2], spec[3], kind, v, a, b) end
            end
        end
    end
    add_stack(root, get(holder("stackAddresses", ev, nested), "stackAddresses"))

    local context = root:add(f.context, finding and range(ev.first, ev.last) or cur_tvb())
    for _, spec in ipairs(CONTEXT) do
        add_key(context, holder(spec[1], ev, nested_process, nested), spec[1], spec[2], spec[3])
    end
    local exe_holder = holder("executable", ev, nested_process)
    local exe = get_object(exe_holder, "executable")
    if exe then add_key(context, exe, "path", f.executable, AS_STR)
    else add_key(context, exe_holder, "executable", f.executable, AS_STR) end
    local flags = get_object(ev, "contextFlags") or get_object(nested, "flags")
    add_key(context, flags, "isCompat", f.is_compat, AS_BOOL)
    add_container(context, ev, get_object(ev, "container") or get_object(nested, "container"), flags)
    add_kubernetes(context, ev, get_object(ev, "kubernetes") or get_object(nested, "kubernetes"))

    local nk, event_name = get(ev, "eventName")
    if nk ~= STR then event_name = nil end
    local info = { n = 0, len = 0 }
    add_args(root, ak, args, a, b, info, trigger_index)
    if trigger then add_triggered_by(root, trigger) end
    if finding then
        -- a finding is triggered by the event in its Context
        local item = root:add(f.triggered_by, range(ev.first, ev.last))
        if event_name then item:append_text(": " .. event_name) end
        add_key(item, ev, "eventId", f.triggered_by_id, AS_INT)
        add_key(item, ev, "eventName", f.triggered_by_name, AS_STR)
        add_key(item, ev, "returnValue", f.triggered_by_return_value, AS_INT)
    end

    local sig_name
    if meta then sig_name = add_sig_metadata(root, meta) end
    if sig_meta then sig_name = add_sig_metadata(root, sig_meta) or sig_name end
    if finding then
        local dk, data, da, db = get(finding, "Data")
        if dk == OBJ then
            for i = 1, data.n do
                local o = (i - 1) * 5
                local text = text_of(data[o + 2], data[o + 3])
                root:add(f.sig_data, range(data[o + 4], data[o + 5]), data[o + 1] .. ": " .. text)
            end
        elseif dk and dk ~= NULL then
            add_wrong(root, "Finding data", dk, data, da, db)
        end
    end

    for i = 1, ev.n do
        local o = (i - 1) * 5
        local key = ev[o + 1]
        if not KNOWN[key] then
            local kind, v = ev[o + 2], ev[o + 3]
            local text = text_of(kind, v)
            local item = root:add(f.other, range(ev[o + 4], ev[o + 5]), key .. ": " .. text)
            if (kind == OBJ or kind == ARR) then add_members(item, v, 1) end
        end
    end

    if is_sig then
        return sig_name or event_name or "signature", true
    end
    event_name = event_name or "event"
    if info.n == 0 then return event_name, false end
    return event_name .. ": " .. concat(info, ", ", 1, info.n), false
end

---------------------------------------------------------------------------------------------------
-- Protobuf-style JSON (the newer Tracker output)

-- Arguments: [{"name": n, "<kind>": value}] or {"name": value}.
local function add_proto_data(tree, kind, data, a, b, info)
    if kind == OBJ then
        if data.n == 0 then return end
        local args_tree = tree:add(f.args, range(a, b))
        for i = 1, data.n do
            local o = (i - 1) * 5
            local vk, v = data[o + 2], data[o + 3]
            local text = add_arg(args_tree, data[o + 1], vk, v, data[o + 4], data[o + 5], 1)
            if info then info_add(info, data[o + 1], vk, text) end
        end
    elseif kind == ARR then
        if data.n == 0 then return end
        local args_tree = tree:add(f.args, range(a, b))
        for i = 1, data.n do
            local o = (i - 1) * 5
            local ak, arg, aa, ab = data[o + 2], data[o + 3], data[o + 4], data[o + 5]
            if ak == OBJ then
                local nk, name = get(arg, "name")
                if nk ~= STR then name = "[" .. (i - 1) .. "]" end
                local vk, v = NULL, nil
                for j = 1, arg.n do -- the value is the member that is not "name"
                    local p = (j - 1) * 5
                    if arg[p + 1] ~= "name" then vk, v = arg[p + 2], arg[p + 3]; break end
                end
                if vk == OBJ and v.n == 1 and v.map.value then vk, v = get(v, "value") end
                local text = add_arg(args_tree, name, vk, v, aa, ab, 1)
                if info then info_add(info, name, vk, text) end
            else
                add_wrong(args_tree, "Argument", ak, arg, aa, ab)
            end
        end
    elseif kind and kind ~= NULL then
        add_wrong(tree, "Args", kind, data, a, b)
    end
end

local PROTO_KNOWN = {
    timestamp = true, id = true, name = true, version = true, policies = true, workload = true,
    data = true, threat = true, triggered_by = true, detected_from = true,
}

local function add_proto_context(root, workload)
    local process = get_object(workload, "process")
    local thread = get_object(process, "thread")
    local container = get_object(workload, "container")
    local k8s = get_object(workload, "k8s")
    if not (process or container or k8s) then return end
    local context = root:add(f.context, range(workload.first, workload.last))
    if process then
        add_key(context, thread, "name", f.process_name, AS_STR)
        add_key(context, process, "pid", f.pid, AS_INT)
        add_key(context, process, "host_pid", f.host_pid, AS_INT)
        add_key(context, thread, "tid", f.tid, AS_INT)
        add_key(context, thread, "host_tid", f.host_tid, AS_INT)
        local ak, ancestors = get(process, "ancestors")
        local parent = ak == ARR and ancestors.n > 0 and ancestors[2] == OBJ and ancestors[3] or nil
        add_key(context, parent, "pid", f.ppid, AS_INT)
        add_key(context, parent, "host_pid", f.host_ppid, AS_INT)
        add_key(context, get_object(process, "real_user"), "id", f.uid, AS_INT)
        add_key(context, thread, "start_time", f.thread_start_time, AS_NS)
        add_key(context, get_object(process, "executable"), "path", f.executable, AS_STR)
        add_key(context, process, "unique_id", f.entity_id, AS_UINT)
        add_key(context, process, "entity_id", f.entity_id, AS_UINT)
        add_key(context, thread, "unique_id", f.thread_entity_id, AS_UINT)
        add_key(context, thread, "entity_id", f.thread_entity_id, AS_UINT)
        if ak == ARR then
            for i = 1, ancestors.n do
                local o = (i - 1) * 5
                local anc = ancestors[o + 2] == OBJ and ancestors[o + 3]
                local pk, pid = get(anc, "pid")
                if pk then
                    -- "pid executable" (or the thread's name)
                    local text = text_of(unwrap(pk, pid))
                    local ek, exe = get(get_object(anc, "executable"), "path")
                    if ek ~= STR then ek, exe = get(get_object(anc, "thread"), "name") end
                    if ek == STR then text = text .. " " .. exe end
                    context:add(f.ancestor, range(anc.first, anc.last), text)
                end
            end
        end
    end
    if container then
        local tree = context:add(f.container, range(container.first, container.last))
        add_key(tree, container, "id", f.container_id, AS_STR)
        add_key(tree, container, "name", f.container_name, AS_STR)
        local image = get_object(container, "image")
        if image then
            add_key(tree, image, "name", f.container_image, AS_STR)
            add_key(tree, image, "digest", f.container_image_digest, AS_STR)
        else
            add_key(tree, container, "image", f.container_image, AS_STR)
        end
        add_key(tree, container, "started", f.container_started, AS_BOOL)
    end
    if k8s then
        local tree = context:add(f.kubernetes, range(k8s.first, k8s.last))
        local pod = get_object(k8s, "pod")
        add_key(tree, pod, "name", f.pod_name, AS_STR)
        add_key(tree, get_object(k8s, "namespace"), "name", f.pod_namespace, AS_STR)
        add_key(tree, pod, "uid", f.pod_uid, AS_STR)
        local labels = get_object(pod, "labels")
        if labels then
            for i = 1, labels.n do
                local o = (i - 1) * 5
                tree:add(f.pod_label, range(labels[o + 4], labels[o + 5]),
                    labels[o + 1] .. "=" .. text_of(labels[o + 2], labels[o + 3]))
            end
        end
    end
end

local function add_threat(root, threat)
    local tree = root:add(f.sig, range(threat.first, threat.last))
    add_key(tree, threat, "name", f.sig_name, AS_STR)
    add_key(tree, threat, "description", f.sig_description, AS_STR)
    local mitre = get_object(threat, "mitre")
    local technique = get_object(mitre, "technique")
    add_key(tree, technique, "name", f.sig_technique, AS_STR)
    add_key(tree, technique, "id", f.sig_external_id, AS_STR)
    add_key(tree, get_object(mitre, "tactic"), "name", f.sig_tactic, AS_STR)
    local sk, sv, sa, sb = get(threat, "severity")
    if sk and sk ~= NULL then add_severity(tree, sk, sv, sa, sb) end
    local props = get_object(threat, "properties")
    if props then add_sig_properties(tree, props) end
    local nk, name = get(threat, "name")
    if nk == STR then return name end
    return nil
end

local function dissect_protobuf(root, ev)
    local threat = get_object(ev, "threat")
    root:add(f.format, cur_tvb(0, 0), "protobuf JSON"):set_generated()
    add_key(root, ev, "timestamp", f.timestamp, AS_TIME)
    add_key(root, ev, "id", f.event_id, AS_INT)
    add_key(root, ev, "name", f.event_name, AS_STR)
    add_key(root, ev, "version", f.version, AS_STR)
    if threat then root:add(f.is_signature, cur_tvb(0, 0), true):set_generated() end
    local pk, pv, pa, pb = get(get_object(ev, "policies"), "matched")
    if pk then add_list(root, f.matched_policies, pk, pv, pa, pb) end
    local workload = get_object(ev, "workload")
    add_key(root, get_object(get_object(workload, "process"), "thread"), "syscall", f.syscall, AS_STR)
    if workload then add_proto_context(root, workload) end

    local info = { n = 0, len = 0 }
    local dk, data, da, db = get(ev, "data")
    add_proto_data(root, dk, data, da, db, info)
    local trigger = get_object(ev, "triggered_by") or get_object(ev, "detected_from")
    if trigger then
        local item = root:add(f.triggered_by, range(trigger.first, trigger.last))
        local nk, name = get(trigger, "name")
        if nk ~= STR then nk, name = get(trigger, "event_name") end
        if nk == STR then item:append_text(": " .. name) end
        add_key(item, trigger, "id", f.triggered_by_id, AS_INT)
        add_key(item, trigger, "event_id", f.triggered_by_id, AS_INT)
        add_key(item, trigger, "name", f.triggered_by_name, AS_STR)
        add_key(item, trigger, "event_name", f.triggered_by_name, AS_STR)
        add_key(item, trigger, "return_value", f.triggered_by_return_value, AS_INT)
        local dk, data, da, db = get(trigger, "data")
        add_proto_data(item, dk, data, da, db, nil)
    end
    local sig_name = threat and add_threat(root, threat)

    for i = 1, ev.n do
        local o = (i - 1) * 5
        local key = ev[o + 1]
        if not PROTO_KNOWN[key] then
            local kind, v = ev[o + 2], ev[o + 3]
            local item = root:add(f.other, range(ev[o + 4], ev[o + 5]), key .. ": " .. text_of(kind, v))
            if (kind == OBJ or kind == ARR) then add_members(item, v, 1) end
        end
    end

    local nk, name = get(ev, "name")
    if nk ~= STR then name = "event" end
    if threat then return sig_name or name, true end
    if info.n == 0 then return name, false end
    return name .. ": " .. concat(info, ", ", 1, info.n), false
end

---------------------------------------------------------------------------------------------------
-- Dissector

local function malformed(root, pinfo, msg, pos)
    local r = pos and range(pos, pos) or cur_tvb(0, 0)
    root:add_proto_expert_info(e_malformed, msg)
    if pos then root:add(f.other, r, "error at byte " .. (pos - 1) .. ": " .. msg) end
    pinfo.cols.info = "[malformed] " .. msg
end

local function dissect(tvb, pinfo, root)
    local s = cur_s
    local first = find(s, "[^ \t\r\n\v\f]")
    local start = first and json_start(s, first)
    if not start then return malformed(root, pinfo, "not a JSON object", first) end
    if start ~= first then
        local prefix = match(sub(s, first, start - 1), "^(.-)%s*$") -- `kubectl logs` source and time
        root:add(f.log_source, range(first, first + #prefix - 1), prefix)
    end
    local ok, kind, ev = pcall(decode, s, start)
    if not ok then
        local err = kind
        if type(err) == "table" then return malformed(root, pinfo, "invalid JSON: " .. err.msg, err.pos) end
        return malformed(root, pinfo, "invalid JSON: " .. tostring(err), nil)
    end
    if kind ~= OBJ then return malformed(root, pinfo, "not a JSON object", start) end

    local info, is_sig
    local context = get_object(ev, "Context")
    if context and ev.map.SigMetadata then
        info, is_sig = dissect_trace_event(root, context, ev)
    elseif ev.map.eventName or ev.map.eventId or ev.map.eventID then
        info, is_sig = dissect_trace_event(root, ev, nil)
    elseif (ev.map.name or ev.map.id) and (ev.map.workload or ev.map.data or ev.map.threat or ev.map.policies or ev.map.timestamp) then
        info, is_sig = dissect_protobuf(root, ev)
    else
        return malformed(root, pinfo, "not a Tracker event: no event name or id", nil)
    end
    if is_sig then pinfo.cols.protocol = "TRACKER/SIG" end
    pinfo.cols.info = info
end

function proto.dissector(tvb, pinfo, tree)
    pinfo.cols.protocol = "TRACKER"
    local root = tree:add(proto, tvb())
    cur_tvb, cur_s = tvb, tvb:raw()
    local ok, err = pcall(dissect, tvb, pinfo, root)
    if not ok then
        root:add_proto_expert_info(e_malformed, "dissection failed: " .. tostring(err))
        pinfo.cols.info = "[malformed] dissection failed"
    end
    cur_tvb, cur_s = nil, nil
    return tvb:len()
end

---------------------------------------------------------------------------------------------------
-- Framing: the bytes the engine's frame_header() gives (engine/src/pcapng.rs): an exported-PDU
-- "protocol name" tag (12) of length 8 holding "tracker\0", then the end-of-options tag (0), length 0.

local FRAME_HEADER = char(0, 12, 0, 8) .. "tracker" .. char(0) .. char(0, 0, 0, 0)

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

local reader = FileHandler.new("Tracker JSON (pure-Lua baseline)", "trackerjson_purelua",
    "Tracker/Tracee JSON event log, one event per line (pure-Lua benchmark baseline)", "rm")
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
