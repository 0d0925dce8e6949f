//! zig_container_shell: a Trackershark enricher in Zig (0.13, wasm32-freestanding, no WASI).
//!
//! For a `sched_process_exec` event in a container (non-empty containerId) that runs a shell (the
//! program path ends in /sh, /bash, /dash, /zsh, /ash or /ksh) it adds
//!
//!     [Container Shell]  (tracker.enrich.zig_container_shell) = "<shell> in <container>"
//!
//! and sets Info to
//!
//!     shell <shell> started in container <container>: <argv joined by spaces>
//!
//! (without ": <argv…>" when the event has no argv). <shell> is args.pathname, the file that runs,
//! or else args.cmdpath, the path exec was given: busybox images run /bin/sh as /bin/busybox.
//! <container> is containerName, or the first 12 characters of containerId when there is no name.
//!
//! Build (see ../build.sh):
//!   zig build-exe container_shell.zig -target wasm32-freestanding -fno-entry -O ReleaseSmall \
//!       --export=trackershark_abi_version --export=alloc --export=describe --export=enrich \
//!       -femit-bin=zig_container_shell.wasm
//!
//! The ABI is in enrichers-wasm/ABI.md.

const std = @import("std");

// ---- ABI v1: imports from the host (module "trackershark") and exports ----------------------

const host = struct {
    extern "trackershark" fn declare_field(abbrev: [*]const u8, abbrev_len: usize, name: [*]const u8, name_len: usize) i32;
    extern "trackershark" fn add_field(index: i32, value: [*]const u8, value_len: usize) i32;
    extern "trackershark" fn set_info(text: [*]const u8, text_len: usize) i32;
};

export fn trackershark_abi_version() i32 {
    return 1;
}

/// The event buffer, reused for every event and replaced by a larger one when needed.
var input: []u8 = &.{};

export fn alloc(size: usize) [*]u8 {
    if (size > input.len) {
        if (input.len > 0) std.heap.wasm_allocator.free(input);
        input = std.heap.wasm_allocator.alloc(u8, size) catch @trap();
    }
    return input.ptr;
}

var shell_field: i32 = -1;

export fn describe() i32 {
    const abbrev = "zig_container_shell";
    const name = "Container Shell";
    shell_field = host.declare_field(abbrev, abbrev.len, name, name.len);
    return if (shell_field < 0) 1 else 0;
}

// ---- JSON: just enough to walk the normalized event -----------------------------------------

/// One JSON value inside the event: `json[start..end]`.
const Value = struct {
    start: usize,
    end: usize,
};

fn skipWs(json: []const u8, at: usize) usize {
    var i = at;
    while (i < json.len) : (i += 1) {
        switch (json[i]) {
            ' ', '\t', '\n', '\r' => {},
            else => break,
        }
    }
    return i;
}

/// `json[at]` is an opening quote; the index after the closing one.
fn skipString(json: []const u8, at: usize) ?usize {
    var i = at + 1;
    while (i < json.len) : (i += 1) {
        if (json[i] == '\\') {
            i += 1;
        } else if (json[i] == '"') {
            return i + 1;
        }
    }
    return null;
}

/// The index after the value that starts at `at`.
fn skipValue(json: []const u8, at: usize) ?usize {
    if (at >= json.len) return null;
    switch (json[at]) {
        '"' => return skipString(json, at),
        '{', '[' => {
            var depth: usize = 0;
            var i = at;
            while (i < json.len) {
                switch (json[i]) {
                    '"' => {
                        i = skipString(json, i) orelse return null;
                        continue;
                    },
                    '{', '[' => depth += 1,
                    '}', ']' => {
                        depth -= 1;
                        if (depth == 0) return i + 1;
                    },
                    else => {},
                }
                i += 1;
            }
            return null;
        },
        else => {
            var i = at;
            while (i < json.len) : (i += 1) {
                switch (json[i]) {
                    ',', '}', ']', ' ', '\t', '\n', '\r' => break,
                    else => {},
                }
            }
            return i;
        },
    }
}

/// Looks up members of the object `obj` (not of objects nested in it) in one pass over it:
/// result[i] is the value of keys[i], or null when there is none.
fn members(json: []const u8, obj: ?Value, comptime keys: []const []const u8) [keys.len]?Value {
    var found = [_]?Value{null} ** keys.len;
    const o = obj orelse return found;
    if (json[o.start] != '{') return found;
    var i = skipWs(json, o.start + 1);
    while (i < o.end and json[i] == '"') {
        const key_end = skipString(json, i) orelse break;
        const key = json[i + 1 .. key_end - 1];
        i = skipWs(json, key_end);
        if (i >= o.end or json[i] != ':') break;
        i = skipWs(json, i + 1);
        const value_end = skipValue(json, i) orelse break;
        inline for (keys, 0..) |k, n| {
            if (std.mem.eql(u8, key, k)) found[n] = .{ .start = i, .end = value_end };
        }
        i = skipWs(json, value_end);
        if (i >= o.end or json[i] != ',') break;
        i = skipWs(json, i + 1);
    }
    return found;
}

/// The text of a JSON string value, unescaped in place (never longer than its JSON form; only the
/// bytes of this value change). Null when the value is absent or not a string.
fn text(json: []u8, value: ?Value) ?[]u8 {
    const v = value orelse return null;
    if (v.end - v.start < 2 or json[v.start] != '"') return null;
    const end = v.end - 1;
    var r = v.start + 1;
    var w = r;
    while (r < end) {
        var c = json[r];
        r += 1;
        if (c == '\\') {
            if (r >= end) return null;
            c = json[r];
            r += 1;
            switch (c) {
                'n' => c = '\n',
                't' => c = '\t',
                'r' => c = '\r',
                'b' => c = 8,
                'f' => c = 12,
                'u' => {
                    var cp: u21 = hex4(json[r..end]) orelse return null;
                    r += 4;
                    if (cp >= 0xD800 and cp < 0xDC00) {
                        // a surrogate pair, \uD83D\uDE00
                        const low = if (end - r >= 6 and json[r] == '\\' and json[r + 1] == 'u') hex4(json[r + 2 .. end]) else null;
                        if (low != null and low.? >= 0xDC00 and low.? < 0xE000) {
                            cp = 0x10000 + ((cp - 0xD800) << 10) + (low.? - 0xDC00);
                            r += 6;
                        } else cp = 0xFFFD;
                    } else if (cp >= 0xDC00 and cp < 0xE000) cp = 0xFFFD;
                    w += std.unicode.utf8Encode(cp, json[w..r]) catch return null;
                    continue;
                },
                else => {}, // \" \\ \/
            }
        }
        json[w] = c;
        w += 1;
    }
    return json[v.start + 1 .. w];
}

fn hex4(s: []const u8) ?u21 {
    if (s.len < 4) return null;
    return std.fmt.parseInt(u16, s[0..4], 16) catch null;
}

// ---- The enricher --------------------------------------------------------------------------

const shells = [_][]const u8{ "/sh", "/bash", "/dash", "/zsh", "/ash", "/ksh" };

fn isShell(path: ?[]const u8) bool {
    const p = path orelse return false;
    for (shells) |s| {
        if (std.mem.endsWith(u8, p, s)) return true;
    }
    return false;
}

/// Output text, built in a fixed buffer (cut short if ever longer).
const Text = struct {
    buf: []u8,
    len: usize = 0,

    fn say(t: *Text, s: []const u8) void {
        const n = @min(s.len, t.buf.len - t.len);
        @memcpy(t.buf[t.len..][0..n], s[0..n]);
        t.len += n;
    }

    fn slice(t: *const Text) []const u8 {
        return t.buf[0..t.len];
    }
};

var field_buf: [4096]u8 = undefined;
var info_buf: [8192]u8 = undefined;

export fn enrich(ptr: [*]u8, len: usize) i32 {
    const json = ptr[0..len];
    const start = skipWs(json, 0);
    if (start >= json.len or json[start] != '{') return 1; // not an object: report it
    const root = Value{ .start = start, .end = json.len };

    // Find every value first: text() rewrites a value in place, which leaves the others alone.
    const top = members(json, root, &.{ "eventName", "containerId", "containerName", "args" });
    const arg = members(json, top[3], &.{ "pathname", "cmdpath", "argv" });
    const event_name = text(json, top[0]) orelse return 0;
    if (!std.mem.eql(u8, event_name, "sched_process_exec")) return 0;
    const container_id = text(json, top[1]) orelse return 0;
    if (container_id.len == 0) return 0;
    const container_name = text(json, top[2]);

    const pathname = text(json, arg[0]);
    const shell = if (isShell(pathname)) pathname.? else blk: {
        const cmdpath = text(json, arg[1]);
        break :blk if (isShell(cmdpath)) cmdpath.? else return 0;
    };
    const container = if (container_name != null and container_name.?.len > 0)
        container_name.?
    else
        container_id[0..@min(container_id.len, 12)];

    var field = Text{ .buf = &field_buf };
    field.say(shell);
    field.say(" in ");
    field.say(container);
    _ = host.add_field(shell_field, field.slice().ptr, field.len);

    var info = Text{ .buf = &info_buf };
    info.say("shell ");
    info.say(shell);
    info.say(" started in container ");
    info.say(container);
    // argv: an array of strings, written out separated by spaces
    if (arg[2]) |a| {
        if (json[a.start] == '[') {
            var i = skipWs(json, a.start + 1);
            var first = true;
            while (i < a.end and json[i] != ']' and info.len < info.buf.len) {
                const item_end = skipValue(json, i) orelse break;
                if (text(json, .{ .start = i, .end = item_end })) |word| {
                    info.say(if (first) ": " else " ");
                    info.say(word);
                    first = false;
                }
                i = skipWs(json, item_end);
                if (i < a.end and json[i] == ',') i = skipWs(json, i + 1);
            }
        }
    }
    _ = host.set_info(info.slice().ptr, info.len);
    return 0;
}
