-- Trackershark: Wireshark support for Tracker (Tracee) events.
-- A thin plugin: the Rust engine (module `trackershark_engine`, installed next to this file) parses
-- and types every event; this file registers what the engine lists and walks what it returns.

local plugin_dir = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
local abi = table.concat({ _VERSION:match("(%d+)%.(%d+)") }) -- "52" or "54"
package.cpath = plugin_dir .. "lua" .. abi .. "/?.so;" .. plugin_dir .. "?.so;" .. package.cpath

local loaded, engine = pcall(require, "trackershark_engine")
if not loaded then
    report_failure("Trackershark: the engine module for " .. _VERSION .. " could not be loaded from "
        .. plugin_dir .. ": " .. tostring(engine)
        .. "\nReinstall with `trackershark install`.")
    return
end

local proto = Proto("tracker", "Tracker")

---------------------------------------------------------------------------------------------------
-- Fields and expert infos: all registered up front, from the engine's catalog, so every field
-- (arguments included) works in display filters and `-T fields`.

-- Enrichers: rules and WASM plugins in <plugin dir>/enrichers/ (or $TRACKERSHARK_ENRICHERS); the
-- fields their plugins declare are registered with the rest.
local enrichers_dir = os.getenv("TRACKERSHARK_ENRICHERS") or (plugin_dir .. "enrichers")
local rules_ok, rules_err = engine.open_enrichers(enrichers_dir .. "/rules.toml")
if not rules_ok then
    report_failure("Trackershark: enricher rules: " .. tostring(rules_err))
end

local field_defs = assert(engine.fields())
local pf = {}          -- field id (1-based) -> ProtoField, or the protocol for the event item
local int64_ids = {}   -- ids whose values must be Int64/UInt64
local time_ids = {}
local address_ids = {} -- id -> Address constructor (values come as text)
local bytes_ids = {}   -- ids of byte-string fields
local hidden_ids = {}  -- native fields: there for filters, not shown

local makers = {
    none = function(d) return ProtoField.none(d.abbrev, d.name, d.description) end,
    string = function(d) return ProtoField.string(d.abbrev, d.name, base.UNICODE, d.description) end,
    bool = function(d) return ProtoField.bool(d.abbrev, d.name, base.NONE, nil, nil, d.description) end,
    int64 = function(d) return ProtoField.int64(d.abbrev, d.name, base.DEC, nil, nil, d.description) end,
    uint64 = function(d) return ProtoField.uint64(d.abbrev, d.name, base.DEC, nil, nil, d.description) end,
    hex64 = function(d) return ProtoField.uint64(d.abbrev, d.name, base.HEX, nil, nil, d.description) end,
    oct32 = function(d) return ProtoField.uint32(d.abbrev, d.name, base.OCT, nil, nil, d.description) end,
    time = function(d) return ProtoField.absolute_time(d.abbrev, d.name, base.UTC, d.description) end,
    bytes = function(d) return ProtoField.bytes(d.abbrev, d.name, base.NONE, d.description) end,
    -- Wireshark's own fields (ip.src, tcp.port, …), filled from network events: same types as native
    ipv4 = function(d) return ProtoField.ipv4(d.abbrev, d.name, d.description) end,
    ipv6 = function(d) return ProtoField.ipv6(d.abbrev, d.name, d.description) end,
    uint16 = function(d) return ProtoField.uint16(d.abbrev, d.name, base.DEC, nil, nil, d.description) end,
}
local address_of = { ipv4 = Address.ip, ipv6 = Address.ipv6 }

local registered = {}
for id, d in ipairs(field_defs) do
    if d.type == "protocol" then
        pf[id] = proto
    else
        local field = makers[d.type](d)
        pf[id] = field
        registered[#registered + 1] = field
        if d.type == "int64" then int64_ids[id] = Int64
        elseif d.type == "uint64" or d.type == "hex64" then int64_ids[id] = UInt64
        elseif d.type == "time" then time_ids[id] = true
        elseif d.type == "bytes" then bytes_ids[id] = true
        elseif address_of[d.type] then address_ids[id] = address_of[d.type] end
        if d.hidden then hidden_ids[id] = true end
    end
end
proto.fields = registered

local expert_defs = assert(engine.experts())
local experts = {}             -- expert kind (1-based, as the engine numbers them) -> ProtoExpert
local internal_error           -- for faults reported by the module itself
local groups = {
    malformed = expert.group.MALFORMED, undecoded = expert.group.UNDECODED,
    protocol = expert.group.PROTOCOL, comment = expert.group.COMMENTS_GROUP,
}
local severities = {
    error = expert.severity.ERROR, warn = expert.severity.WARN,
    note = expert.severity.NOTE, chat = expert.severity.CHAT,
}
for i, e in ipairs(expert_defs) do
    experts[i] = ProtoExpert.new(e.abbrev, e.title, groups[e.group], severities[e.severity])
    if e.abbrev == "tracker.internal_error" then internal_error = experts[i] end
end
proto.experts = experts

-- The engine writes each event's items into Wireshark's tree itself (through libwireshark's C API)
-- when it can; otherwise, or when told to by TRACKERSHARK_TREE=lua, this file walks them.
local function say_walked_in_lua(why)
    io.stderr:write("Trackershark: event trees are walked in Lua (" .. tostring(why) .. ")\n")
end
local native_tree, walk_reason = false, "TRACKERSHARK_TREE=lua"
if os.getenv("TRACKERSHARK_TREE") ~= "lua" then
    native_tree, walk_reason = engine.use_native_tree(pf, field_defs, experts, expert_defs)
end
if not native_tree then say_walked_in_lua(walk_reason) end
-- Other scripts reach the module as package.loaded["trackershark_engine"] (e.g. its tree_mode() and
-- cache_stats(), as tests/tests/native_tree.rs does).

---------------------------------------------------------------------------------------------------
-- Dissector: one call into the engine, which writes the tree natively where it can; this file adds
-- what it leaves (see add_items).

local function value_of(id, r, i)
    local v = r.v[i]
    if v == nil then return nil end
    local wide = int64_ids[id]
    if wide then return wide(v) end
    if time_ids[id] then return NSTime.new(v, r.x[i] or 0) end
    local address = address_ids[id]
    if address then return address(v) end
    return v
end

-- Packet bytes an event carries become a "Network Packet" data source, read by Wireshark's own
-- dissectors (which also set the columns, as for a captured packet).
local function dissect_packet(bytes, dissector, pinfo, tree, event_item)
    local ok, err = pcall(function()
        local packet = ByteArray.new(bytes, true):tvb("Network Packet")
        Dissector.get(dissector):call(packet, pinfo, tree)
    end)
    if not ok then event_item:add_proto_expert_info(internal_error, "packet not dissected: " .. tostring(err)) end
end

-- Source/Destination: the event's addresses (the mirrored ip(v6).src/dst), as for a packet.
-- No protocol: the engine has set Protocol and Info itself.
local function show_columns(pinfo, protocol, info, src, src6, dst, dst6)
    if protocol then
        pinfo.cols.protocol = protocol
        pinfo.cols.info = info
    end
    if src then pinfo.src = (src6 and Address.ipv6 or Address.ip)(src) end
    if dst then pinfo.dst = (dst6 and Address.ipv6 or Address.ip)(dst) end
end

-- Adds the engine's flat item list to the tree; `stack` holds the parents by depth (stack[1] for
-- depth 0); `no_bytes`: the items stand for no packet bytes.
local no_items = {}
local function add_items(r, tvb, stack, no_bytes)
    if r.n == 0 then return no_items end
    local items = {}
    local f, d, o, l, t = r.f, r.d, r.o, r.l, r.t
    for i = 1, r.n do
        local id = f[i]
        local parent = stack[d[i] + 1] or stack[#stack]
        local v = value_of(id, r, i)
        local len = l[i]
        -- Wireshark reads as many bytes of a byte-string value as the range is long
        if bytes_ids[id] and v and #v < len then len = #v end
        local range = no_bytes and tvb(0, 0) or tvb(o[i], len)
        local item
        if v == nil then
            item = parent:add(pf[id], range)
        else
            item = parent:add(pf[id], range, v)
        end
        if t[i] then item:set_text(t[i]) end
        if hidden_ids[id] then item:set_hidden() end
        if no_bytes then item:set_generated() end
        stack[d[i] + 2] = item
        items[i] = item
    end
    return items
end

-- Whether the packet being dissected is an event (events carry no capture context: see below);
-- the postdissector, which runs after every packet's dissection, takes it back.
local is_event = false

-- (It returns nothing: Wireshark then counts the whole packet as taken.)
function proto.dissector(tvb, pinfo, tree)
    local frame = pinfo.number
    is_event = true
    -- the packet list alone (nothing reads the event's items): the engine works out the columns only
    if native_tree then
        local shown, protocol, info, src, src6, dst, dst6, pkt, pkt_dissector =
            engine.columns(tree, tvb, pinfo, frame)
        if shown then
            show_columns(pinfo, protocol, info, src, src6, dst, dst6)
            if pkt then dissect_packet(pkt, pkt_dissector, pinfo, tree, tree) end
            return
        end
    end

    local root = tree:add(proto, tvb())
    local line = not native_tree and tvb:raw() or nil
    local r, err = engine.dissect(line, frame, root, tvb, pinfo)
    if r == false then
        -- Wireshark's objects could not be bound at the first packet: the items are walked in Lua
        native_tree = false
        say_walked_in_lua((engine.tree_mode():gsub("^lua: ", "")))
        r, err = engine.dissect(tvb:raw(), frame, root, tvb, pinfo)
    end
    if not r then
        pinfo.cols.protocol = "TRACKER"
        root:set_text("Tracker Event (JSON)")
        root:add_proto_expert_info(internal_error, err)
        pinfo.cols.info = err
        return
    end
    show_columns(pinfo, r.proto, r.info, r.src, r.src6, r.dst, r.dst6)
    if r.label then root:set_text(r.label) end

    -- what the engine left to this file: every item (Lua walk), or the hidden mirrors of native
    -- fields where they are of use (a shown tree, a filter or column naming one)
    local items = add_items(r, tvb, { tree, root }, false)
    if r.e then
        for _, e in ipairs(r.e) do
            local item = items[e[1]] or root
            item:add_proto_expert_info(experts[e[2]], e[3])
        end
    end
    if r.pkt then dissect_packet(r.pkt, r.pkt_dissector, pinfo, tree, root) end
end

---------------------------------------------------------------------------------------------------
-- Tracker's packet captures (`--capture network`) describe each interface with a JSON context
-- (container, pod, process). Every packet of such an interface gets that context, in the same
-- fields as events, so `tracker.container.name == "web"` selects packets and events alike. Events
-- themselves (on the interface Trackershark gives them) carry their own context and are passed by.

local context_proto = Proto("tracker_context", "Tracker Capture Context")
local interface_description = Field.new("frame.interface_description")
local contexts = {}    -- description text -> engine result, or false when it is no Tracker context
local context_count, max_contexts = 0, 1024  -- a bound: a capture has a handful of interfaces

function context_proto.dissector(tvb, pinfo, tree)
    if is_event then
        is_event = false
        return
    end
    local description = interface_description()
    if not description then return end
    local text = description.value
    local r = contexts[text]
    if r == nil then
        r = engine.context(text) or false
        if context_count >= max_contexts then contexts, context_count = {}, 0 end
        contexts[text] = r
        context_count = context_count + 1
    end
    if not r then return end
    local head = tree:add(context_proto, tvb(0, 0))
    head:set_generated()
    add_items(r, tvb, { head }, true)
end
register_postdissector(context_proto)

---------------------------------------------------------------------------------------------------
-- File reader: Tracker JSON-lines logs (`--output json`, `kubectl logs [--prefix]`) open directly.
-- Each event line becomes one packet holding exactly the line's bytes behind an export header, so
-- saving as pcapng is lossless and self-describing. Tracker's own log lines are skipped and counted.

local PACKET_RECORD = wtap_rec_types.PACKET
local TIME_AND_LENGTH = wtap_presence_flags.TS + wtap_presence_flags.CAP_LEN
-- `packet`: the frame header and the line
local function fill_frame(frame, packet, secs, nanos)
    frame.rec_type = PACKET_RECORD
    frame.flags = TIME_AND_LENGTH
    frame.time = NSTime.new(secs or 0, nanos or 0)
    -- (setting the data sets both lengths)
    frame.data = packet
end

-- The next line of `lines` (see the module's LineReader), reading on in blocks of `block` bytes
-- as needed: kind, offset, seconds, nanoseconds and the packet; false at the end of the file.
local function next_line(lines, file, block)
    while true do
        local kind, offset, secs, nanos, packet = lines:next()
        if kind ~= nil then return kind, offset, secs, nanos, packet end
        if not lines:read_from(file, block) then lines:feed(file:read(block)) end
    end
end

-- Reads on until a line that becomes a packet; returns its offset.
local BLOCK, RANDOM_BLOCK = 65536, 4096  -- (a packet read again at random is one line)
local function next_record(file, capture, frame)
    local state = capture.private_table
    while true do
        local kind, offset, secs, nanos, packet = next_line(state.lines, file, BLOCK)
        if kind == false then return false end
        if kind == "log" then
            state.skipped_logs = state.skipped_logs + 1
        elseif kind ~= "blank" then
            -- lines without a time keep the previous one, so the capture stays in order
            if secs then
                state.last_secs, state.last_nanos = secs, nanos
            else
                secs, nanos = state.last_secs, state.last_nanos
                state.untimed[offset] = { secs, nanos }
            end
            fill_frame(frame, packet, secs, nanos)
            return offset
        end
    end
end

local reader = FileHandler.new("Tracker JSON", "trackerjson",
    "Tracker/Tracee JSON event log, one event per line", "rm")
reader.extensions = "json;jsonl;log;txt"

function reader.read_open(file, capture)
    local ok, is_tracker = pcall(function()
        file:seek("set", 0)
        local head = file:read(65536) or ""
        return engine.sniff(head) == true
    end)
    if not (ok and is_tracker) then return false end
    file:seek("set", 0)
    capture.encap = wtap_encaps.WIRESHARK_UPPER_PDU
    capture.time_precision = wtap_tsprecs.NSEC
    capture.snapshot_length = 0
    capture.private_table = {
        lines = assert(engine.line_reader(true)), random = assert(engine.line_reader(false)),
        skipped_logs = 0, untimed = {}, last_secs = 0, last_nanos = 0,
    }
    return true
end

function reader.read(file, capture, frame)
    return next_record(file, capture, frame)
end

function reader.seek_read(file, capture, frame, offset)
    local state = capture.private_table
    file:seek("set", offset)
    state.random:restart(offset)
    local _, _, secs, nanos, packet = next_line(state.random, file, RANDOM_BLOCK)
    if not packet then return false end
    if not secs then
        local t = state.untimed[offset] or { 0, 0 }
        secs, nanos = t[1], t[2]
    end
    fill_frame(frame, packet, secs, nanos)
    return true
end

local function report_skipped(file, capture)
    local state = capture.private_table
    if state and state.skipped_logs > 0 then
        io.stderr:write(string.format("Trackershark: skipped %d Tracker log line(s)\n", state.skipped_logs))
        state.skipped_logs = 0
    end
    return true
end
reader.read_close = report_skipped
reader.seq_read_close = report_skipped

register_filehandler(reader)

---------------------------------------------------------------------------------------------------
-- Event counts: `tshark -q -z tracker,counts` lists each event type and how often it occurs,
-- signatures apart and grouped by severity. Events that carry a packet count like any other.
-- The engine says what the frame just dissected was: Field extractors here would make Wireshark
-- build every event's items even where nothing reads them.

local severity_names = { [0] = "info", "low", "medium", "high", "critical" }

local function sorted_counts(counts)
    local list = {}
    for name, n in pairs(counts) do list[#list + 1] = { name = name, n = n } end
    table.sort(list, function(a, b) return a.n > b.n or (a.n == b.n and a.name < b.name) end)
    return list
end

local function event_counts()
    local events, signatures, total = {}, {}, 0
    local tap = Listener.new("frame", "tracker")
    function tap.packet(pinfo)
        local key, is_signature, severity = engine.event_of(pinfo.number)
        if not key then return end
        total = total + 1
        if is_signature then
            local level = severity or -1
            signatures[level] = signatures[level] or {}
            signatures[level][key] = (signatures[level][key] or 0) + 1
        else
            events[key] = (events[key] or 0) + 1
        end
    end
    function tap.draw()
        local out = { "===================================================================",
                      "Tracker event counts", string.format("%-56s %10s", "Event", "Count") }
        for _, e in ipairs(sorted_counts(events)) do
            out[#out + 1] = string.format("  %-54s %10d", e.name, e.n)
        end
        for level = 4, -1, -1 do
            if signatures[level] then
                local title = severity_names[level] and string.format("Signatures, severity %d (%s)", level, severity_names[level])
                    or "Signatures, no severity"
                out[#out + 1] = title
                for _, e in ipairs(sorted_counts(signatures[level])) do
                    out[#out + 1] = string.format("  %-54s %10d", e.name, e.n)
                end
            end
        end
        out[#out + 1] = string.format("%-56s %10d", "Total", total)
        out[#out + 1] = "==================================================================="
        print(table.concat(out, "\n"))
    end
    function tap.reset() events, signatures, total = {}, {}, 0 end
end
register_stat_cmd_arg("tracker,counts", event_counts)
