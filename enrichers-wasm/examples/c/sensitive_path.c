/*
 * c_sensitive_path: a Trackershark enricher in plain C (no libc, no WASI).
 *
 * For an event whose args.pathname starts with a sensitive prefix (credentials, sudo rules, SSH
 * keys, Kubernetes service-account tokens, ...) it adds
 *
 *     [Sensitive Path]  (tracker.enrich.c_sensitive_path) = the matched prefix, e.g. "/etc/shadow"
 *
 * and sets Info to
 *
 *     sensitive file <pathname> touched by <processName> (<eventName>)
 *
 * leaving out " by <processName>" or " (<eventName>)" when the event has no such value.
 * Some files are read all the time by ordinary programs (/etc/passwd by every user lookup,
 * /etc/pam.d/ by every login): those count only when the event is not a read-only open, that is
 * when it has no args.flags (unlink, chmod, rename, magic_write, ...) or its flags ask for writing.
 *
 * Build (see ../build.sh):
 *   clang --target=wasm32 -O2 -nostdlib -ffreestanding -Wl,--no-entry -o c_sensitive_path.wasm sensitive_path.c
 *
 * The ABI is in enrichers-wasm/ABI.md. Everything below the "JSON" comment is a small reader for
 * the normalized event, written for this example; copy it into your own plugin if it helps.
 */

typedef unsigned char u8;
typedef unsigned int u32;
typedef __SIZE_TYPE__ size_t;

/* ---- ABI v1: imports from the host (module "trackershark") and exports ---------------------- */

#define HOST(name) __attribute__((import_module("trackershark"), import_name(name)))
#define EXPORT(name) __attribute__((export_name(name)))

HOST("declare_field") int ts_declare_field(const char *abbrev, int abbrev_len, const char *name, int name_len);
HOST("add_field") int ts_add_field(int index, const u8 *value, int value_len);
HOST("set_info") int ts_set_info(const u8 *text, int text_len);

#define LIT(s) (s), (int)(sizeof(s) - 1) /* a string literal as (pointer, length) */

/* Without libc the compiler may still emit calls to these for copies and fills. */
void *memcpy(void *dst, const void *src, size_t n) {
    u8 *d = dst;
    const u8 *s = src;
    while (n--) *d++ = *s++;
    return dst;
}
void *memset(void *dst, int c, size_t n) {
    u8 *d = dst;
    while (n--) *d++ = (u8)c;
    return dst;
}

static int starts_with(const u8 *s, const u8 *end, const char *prefix, int prefix_len) {
    if (end - s < prefix_len) return 0;
    for (int i = 0; i < prefix_len; i++)
        if (s[i] != (u8)prefix[i]) return 0;
    return 1;
}

static int contains(const u8 *s, const u8 *end, const char *needle, int needle_len) {
    for (; end - s >= needle_len; s++)
        if (starts_with(s, end, needle, needle_len)) return 1;
    return 0;
}

/* The event buffer. The host calls alloc before every enrich; one buffer at the start of the heap
 * is reused and memory grows when an event is larger than any before. */
extern u8 __heap_base; /* provided by wasm-ld: the first byte after data and stack */

EXPORT("alloc") u8 *alloc(int size) {
    u8 *buf = &__heap_base;
    size_t need = (size_t)buf + (size_t)(size < 0 ? 0 : size);
    size_t have = __builtin_wasm_memory_size(0) * 65536;
    if (need > have && __builtin_wasm_memory_grow(0, (need - have + 65535) / 65536) == (size_t)-1)
        __builtin_trap(); /* out of memory: fail this call rather than overwrite anything */
    return buf;
}

EXPORT("trackershark_abi_version") int trackershark_abi_version(void) { return 1; }

static int sensitive_field = -1;

EXPORT("describe") int describe(void) {
    sensitive_field = ts_declare_field(LIT("c_sensitive_path"), LIT("Sensitive Path"));
    return sensitive_field < 0;
}

/* ---- JSON: just enough to walk the normalized event -------------------------------------- */

typedef struct {
    u8 *p, *end; /* [p, end): one JSON value, or text; p == 0 when absent */
} Span;

static u8 *skip_ws(u8 *p, u8 *end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    return p;
}

/* p at an opening quote; returns the position after the closing quote, or 0. */
static u8 *skip_string(u8 *p, u8 *end) {
    for (p++; p < end; p++) {
        if (*p == '\\') p++;
        else if (*p == '"') return p + 1;
    }
    return 0;
}

/* p at the start of a value; returns the position after it, or 0 when malformed. */
static u8 *skip_value(u8 *p, u8 *end) {
    if (p >= end) return 0;
    if (*p == '"') return skip_string(p, end);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        while (p < end) {
            if (*p == '"') {
                if (!(p = skip_string(p, end))) return 0;
                continue;
            }
            if (*p == '{' || *p == '[') depth++;
            else if ((*p == '}' || *p == ']') && --depth == 0) return p + 1;
            p++;
        }
        return 0;
    }
    while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
        p++;
    return p;
}

static int length(const char *s) {
    int n = 0;
    while (s[n]) n++;
    return n;
}

/* Looks up members of the object `obj` (not of objects nested in it) in one pass over it:
 * values[i] becomes the value of keys[i], or stays {0, 0} when there is none. */
static void members(Span obj, const char *const *keys, Span *values, int n) {
    for (int i = 0; i < n; i++) values[i] = (Span){0, 0};
    u8 *p = obj.p, *end = obj.end;
    if (!p || p >= end || *p != '{') return;
    p = skip_ws(p + 1, end);
    while (p < end && *p == '"') {
        u8 *key_end = skip_string(p, end);
        if (!key_end) return;
        int found = -1;
        for (int i = 0; i < n && found < 0; i++) {
            int len = length(keys[i]);
            if (key_end - p - 2 == len && starts_with(p + 1, end, keys[i], len)) found = i;
        }
        p = skip_ws(key_end, end);
        if (p >= end || *p != ':') return;
        p = skip_ws(p + 1, end);
        u8 *value_end = skip_value(p, end);
        if (!value_end) return;
        if (found >= 0) values[found] = (Span){p, value_end};
        p = skip_ws(value_end, end);
        if (p >= end || *p != ',') return;
        p = skip_ws(p + 1, end);
    }
}

static int hex4(const u8 *p, const u8 *end, u32 *out) {
    if (end - p < 4) return 0;
    u32 v = 0;
    for (int i = 0; i < 4; i++) {
        u8 c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= c - '0';
        else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
        else return 0;
    }
    *out = v;
    return 1;
}

static u8 *put_utf8(u8 *w, u32 c) {
    if (c < 0x80) *w++ = (u8)c;
    else if (c < 0x800) *w++ = (u8)(0xC0 | c >> 6), *w++ = (u8)(0x80 | (c & 0x3F));
    else if (c < 0x10000)
        *w++ = (u8)(0xE0 | c >> 12), *w++ = (u8)(0x80 | (c >> 6 & 0x3F)), *w++ = (u8)(0x80 | (c & 0x3F));
    else
        *w++ = (u8)(0xF0 | c >> 18), *w++ = (u8)(0x80 | (c >> 12 & 0x3F)), *w++ = (u8)(0x80 | (c >> 6 & 0x3F)),
        *w++ = (u8)(0x80 | (c & 0x3F));
    return w;
}

/* The text of a JSON string value, unescaped in place (the text is never longer than its JSON
 * form, and only the bytes of this value change). Not a string: p == 0. */
static Span text(Span v) {
    Span none = {0, 0};
    if (!v.p || v.end - v.p < 2 || *v.p != '"') return none;
    u8 *r = v.p + 1, *w = v.p + 1, *end = v.end - 1; /* between the quotes */
    while (r < end) {
        if (*r != '\\') {
            *w++ = *r++;
            continue;
        }
        if (++r >= end) return none;
        u8 c = *r++;
        u32 u;
        switch (c) {
        case 'n': *w++ = '\n'; break;
        case 't': *w++ = '\t'; break;
        case 'r': *w++ = '\r'; break;
        case 'b': *w++ = '\b'; break;
        case 'f': *w++ = '\f'; break;
        case 'u':
            if (!hex4(r, end, &u)) return none;
            r += 4;
            if (u >= 0xD800 && u < 0xDC00) { /* a surrogate pair: \uD83D\uDE00 */
                u32 low;
                if (end - r >= 6 && r[0] == '\\' && r[1] == 'u' && hex4(r + 2, end, &low) && low >= 0xDC00 &&
                    low < 0xE000) {
                    u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00);
                    r += 6;
                } else {
                    u = 0xFFFD;
                }
            } else if (u >= 0xDC00 && u < 0xE000) {
                u = 0xFFFD;
            }
            w = put_utf8(w, u);
            break;
        default: *w++ = c; /* \" \\ \/ */
        }
    }
    return (Span){v.p + 1, w};
}

/* A number written as a JSON number or as decimal text; -1 when neither. */
static long long number(Span v) {
    u8 *p = v.p, *end = v.end;
    if (!p) return -1;
    if (p < end && *p == '"') p++, end--;
    if (p >= end || *p < '0' || *p > '9') return -1;
    long long n = 0;
    for (; p < end && *p >= '0' && *p <= '9'; p++) n = n * 10 + (*p - '0');
    return n;
}

/* ---- The enricher ------------------------------------------------------------------------ */

typedef struct {
    const char *prefix;
    int len;
    int writes_only; /* read by ordinary programs all day: count only events that may modify it */
} Sensitive;

#define ANY(s) {s, sizeof(s) - 1, 0}
#define WRITES(s) {s, sizeof(s) - 1, 1}

static const Sensitive SENSITIVE[] = {
    ANY("/etc/shadow"),          /* password hashes (also /etc/shadow-) */
    ANY("/etc/gshadow"),         /* group password hashes */
    ANY("/etc/sudoers"),         /* sudo rules, also /etc/sudoers.d/ */
    ANY("/root/.ssh/"),          /* root's keys and authorized_keys */
    ANY("/etc/ssh/ssh_host_"),   /* the SSH server's private keys */
    ANY("/etc/ld.so.preload"),   /* libraries forced into every process */
    ANY("/var/run/secrets/kubernetes.io/"), /* service-account tokens */
    ANY("/run/secrets/kubernetes.io/"),
    WRITES("/etc/passwd"),       /* accounts */
    WRITES("/etc/group"),
    WRITES("/etc/pam.d/"),       /* authentication modules */
    WRITES("/etc/crontab"),      /* scheduled commands */
    WRITES("/etc/cron.d/"),
    WRITES("/var/spool/cron/"),
};

/* Whether the event may modify the file: no flags (not an open), or an open for writing. Flags come
 * as a number (O_WRONLY = 1, O_RDWR = 2) or, with parse-arguments, as names. */
static int may_write(Span flags) {
    if (!flags.p) return 1;
    long long n = number(flags);
    if (n >= 0) return (n & 3) != 0;
    Span names = text(flags);
    if (!names.p) return 1;
    return contains(names.p, names.end, LIT("O_WRONLY")) || contains(names.p, names.end, LIT("O_RDWR"));
}

static u8 info[8192];
static int info_len;

static void say(const u8 *s, const u8 *end) {
    while (s < end && info_len < (int)sizeof info) info[info_len++] = *s++;
}
static void say_lit(const char *s, int len) { say((const u8 *)s, (const u8 *)s + len); }

EXPORT("enrich") int enrich(u8 *event, int len) {
    Span root = {skip_ws(event, event + len), event + len};
    if (root.p >= root.end || *root.p != '{') return 1; /* not an object: report it */

    /* Find every value first: text() rewrites a value in place, which leaves the others alone. */
    static const char *const top_keys[] = {"eventName", "processName", "args"};
    static const char *const arg_keys[] = {"pathname", "flags"};
    Span top[3], arg[2];
    members(root, top_keys, top, 3);
    members(top[2], arg_keys, arg, 2);
    Span event_name = text(top[0]), process = text(top[1]);
    Span path = text(arg[0]), flags = arg[1];
    if (!path.p) return 0;

    const Sensitive *hit = 0;
    for (u32 i = 0; i < sizeof SENSITIVE / sizeof SENSITIVE[0] && !hit; i++)
        if (starts_with(path.p, path.end, SENSITIVE[i].prefix, SENSITIVE[i].len)) hit = &SENSITIVE[i];
    if (!hit || (hit->writes_only && !may_write(flags))) return 0;

    ts_add_field(sensitive_field, (const u8 *)hit->prefix, hit->len);

    info_len = 0;
    say_lit(LIT("sensitive file "));
    say(path.p, path.end);
    say_lit(LIT(" touched"));
    if (process.p && process.p < process.end) {
        say_lit(LIT(" by "));
        say(process.p, process.end);
    }
    if (event_name.p && event_name.p < event_name.end) {
        say_lit(LIT(" ("));
        say(event_name.p, event_name.end);
        say_lit(LIT(")"));
    }
    ts_set_info(info, info_len);
    return 0;
}
