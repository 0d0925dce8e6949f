//! `files`: a readable Info for `security_file_open` (access mode and decoded open flags) and
//! `magic_write` (the first bytes written, and the file type they or the path give). The formats are
//! listed in `defaults/README.md`.
//!
//! Every event shape is read leniently: a missing or oddly typed argument leaves out the part of the
//! output it would have given, and never fails the call.

use trackershark_plugin::{as_i64, export_plugin, show_info, Event, Field, Plugin, Value};

/// Bytes of `magic_write` data shown in `[Decoded data]`; the rest is counted as `(+N more bytes)`.
const MAX_DATA: usize = 256;

pub struct Files {
    open_access: Field,
    open_flags: Field,
    data: Field,
    file_type: Field,
}

// ---------------------------------------------------------------------------------------------------
// Helpers

/// A path argument: non-empty text.
fn arg_path(e: &Event, name: &str) -> Option<String> {
    e.arg_str(name).filter(|s| !s.trim().is_empty()).map(str::to_string)
}

fn process(e: &Event) -> &str {
    e.str("processName").filter(|s| !s.is_empty()).unwrap_or("?")
}

// ---------------------------------------------------------------------------------------------------
// Open flags (x86_64 Linux values)

const O_ACCMODE: u64 = 0o3;
const O_DSYNC: u64 = 0o10000;
const O_DIRECTORY: u64 = 0o200000;
const O_SYNC_BIT: u64 = 0o4000000; // __O_SYNC; O_SYNC is __O_SYNC|O_DSYNC
const O_PATH: u64 = 0o10000000;
const O_TMPFILE_BIT: u64 = 0o20000000; // __O_TMPFILE; O_TMPFILE is __O_TMPFILE|O_DIRECTORY

/// Single-bit flags, in the order they are written (lowest bit first).
const FLAGS: &[(u64, &str)] = &[
    (0o100, "O_CREAT"),
    (0o200, "O_EXCL"),
    (0o400, "O_NOCTTY"),
    (0o1000, "O_TRUNC"),
    (0o2000, "O_APPEND"),
    (0o4000, "O_NONBLOCK"),
    (O_DSYNC, "O_DSYNC"),
    (0o20000, "FASYNC"),
    (0o40000, "O_DIRECT"),
    (0o100000, "O_LARGEFILE"),
    (O_DIRECTORY, "O_DIRECTORY"),
    (0o400000, "O_NOFOLLOW"),
    (0o1000000, "O_NOATIME"),
    (0o2000000, "O_CLOEXEC"),
    (O_SYNC_BIT, "O_SYNC"),
    (O_PATH, "O_PATH"),
    (O_TMPFILE_BIT, "O_TMPFILE"),
];

/// Names the flags of `open(2)`: the access mode first (`O_RDONLY`, `O_WRONLY`, `O_RDWR`; left out
/// with `O_PATH`, which ignores it), then the set flags; `O_SYNC` includes `O_DSYNC` and `O_TMPFILE`
/// includes `O_DIRECTORY`, so those are not named again; unknown bits end the list as hex.
pub fn decode_open_flags(flags: i64) -> String {
    let flags = flags as u64 & 0xffff_ffff;
    let mut names: Vec<String> = Vec::new();
    let acc = flags & O_ACCMODE;
    if flags & O_PATH == 0 || acc != 0 {
        names.push(
            match acc {
                0 => "O_RDONLY",
                1 => "O_WRONLY",
                2 => "O_RDWR",
                _ => "O_ACCMODE",
            }
            .to_string(),
        );
    }
    let mut rest = flags & !O_ACCMODE;
    if rest & O_SYNC_BIT != 0 {
        rest &= !O_DSYNC;
    }
    if rest & O_TMPFILE_BIT != 0 {
        rest &= !O_DIRECTORY;
    }
    for (bit, name) in FLAGS {
        if rest & bit != 0 {
            names.push(name.to_string());
            rest &= !bit;
        }
    }
    if rest != 0 {
        names.push(format!("0x{rest:x}"));
    }
    names.join("|")
}

/// `read-only`, `write-only`, `read-write`, `path only` (O_PATH), or `no read/write` (access mode 3).
pub fn access_mode(flags: &Value) -> Option<&'static str> {
    if let Some(n) = as_i64(flags) {
        let n = n as u64;
        if n & O_PATH != 0 {
            return Some("path only");
        }
        return Some(match n & O_ACCMODE {
            0 => "read-only",
            1 => "write-only",
            2 => "read-write",
            _ => "no read/write",
        });
    }
    let s = flags.as_str()?;
    let has = |name: &str| s.split('|').any(|t| t.trim() == name);
    Some(if has("O_PATH") {
        "path only"
    } else if has("O_RDWR") {
        "read-write"
    } else if has("O_WRONLY") {
        "write-only"
    } else {
        "read-only"
    })
}

// ---------------------------------------------------------------------------------------------------
// magic_write data

/// Decodes base64 (standard or URL-safe alphabet, padding optional, whitespace ignored).
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    let mut padded = false;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => {
                padded = true;
                continue;
            }
            b' ' | b'\t' | b'\r' | b'\n' => continue,
            _ => return None,
        };
        if padded {
            return None;
        }
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The written bytes: base64 text (as Tracker writes bytes), an array of byte values, or else the text
/// itself.
pub fn written_bytes(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => Some(base64_decode(s).unwrap_or_else(|| s.as_bytes().to_vec())),
        Value::Array(a) => a.iter().map(|b| as_i64(b).and_then(|n| u8::try_from(n).ok())).collect(),
        _ => None,
    }
}

/// The bytes as text: printable ASCII as it is, `\n` `\r` `\t` `\\` escaped C-style, other bytes as
/// `\xNN`; at most [`MAX_DATA`] bytes, then ` (+N more bytes)`.
pub fn printable(data: &[u8]) -> String {
    let mut s = String::new();
    for &b in data.iter().take(MAX_DATA) {
        match b {
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    if data.len() > MAX_DATA {
        s.push_str(&format!(" (+{} more bytes)", data.len() - MAX_DATA));
    }
    s
}

// ---------------------------------------------------------------------------------------------------
// File type: magic bytes

fn is_text_byte(b: u8) -> bool {
    matches!(b, 0x20..=0x7e | b'\t' | b'\n' | b'\r' | 0x0c) || b >= 0x80
}

/// The data after a UTF-8 byte order mark and leading whitespace.
fn trimmed_start(data: &[u8]) -> &[u8] {
    let data = data.strip_prefix(b"\xef\xbb\xbf").unwrap_or(data);
    let start = data.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(data.len());
    &data[start..]
}

fn starts_with_ci(data: &[u8], prefix: &str) -> bool {
    data.len() >= prefix.len() && data[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

fn elf(data: &[u8]) -> String {
    let bits = match data.get(4) {
        Some(1) => "32-bit ",
        Some(2) => "64-bit ",
        _ => "",
    };
    let big = data.get(5) == Some(&2);
    let half = |at: usize| {
        let b = data.get(at..at + 2)?;
        Some(if big { u16::from_be_bytes([b[0], b[1]]) } else { u16::from_le_bytes([b[0], b[1]]) })
    };
    let kind = match half(16) {
        Some(1) => "relocatable (object file or kernel module)",
        Some(2) => "executable",
        Some(3) => "shared object or PIE executable",
        Some(4) => "core dump",
        _ => "file",
    };
    let machine = match half(18) {
        Some(3) => ", x86",
        Some(8) => ", MIPS",
        Some(0x14) => ", PowerPC",
        Some(0x15) => ", PowerPC64",
        Some(0x16) => ", S/390",
        Some(0x28) => ", ARM",
        Some(0x3e) => ", x86-64",
        Some(0xb7) => ", AArch64",
        Some(0xf3) => ", RISC-V",
        Some(0xf7) => ", BPF",
        Some(0x102) => ", LoongArch",
        _ => "",
    };
    format!("ELF {bits}{kind}{machine}")
}

/// The script kind an interpreter's file name says.
fn script_kind(program: &str) -> &'static str {
    let name = program.rsplit('/').next().unwrap_or(program);
    let base = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    match base {
        "sh" | "bash" | "dash" | "zsh" | "ksh" | "mksh" | "ash" | "csh" | "tcsh" | "fish" | "busybox" => "Shell script",
        "python" | "pypy" => "Python script",
        "perl" => "Perl script",
        "ruby" => "Ruby script",
        "node" | "nodejs" | "deno" | "bun" => "JavaScript script",
        "php" => "PHP script",
        "lua" | "luajit" => "Lua script",
        "awk" | "gawk" | "mawk" | "nawk" => "awk script",
        "tclsh" | "wish" | "expect" => "Tcl script",
        "pwsh" => "PowerShell script",
        "Rscript" => "R script",
        _ => "Script",
    }
}

/// `#!` scripts: the kind from the interpreter (the program `env` runs, when it is `env`).
fn shebang(data: &[u8]) -> String {
    let line_end = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let line = String::from_utf8_lossy(&data[2..line_end]);
    let words: Vec<&str> = line.split_whitespace().collect();
    let Some(interpreter) = words.first() else { return "Script".to_string() };
    let mut program = *interpreter;
    let mut shown = interpreter.to_string();
    if interpreter.rsplit('/').next() == Some("env") {
        if let Some(p) = words.iter().skip(1).find(|w| !w.starts_with('-') && !w.contains('=')) {
            program = p;
            shown = format!("{interpreter} {p}");
        }
    }
    format!("{}, interpreter {shown}", script_kind(program))
}

/// PEM labels, the commonest first: a label cut short by the end of the data is taken as the first
/// one here that it begins.
const PEM_LABELS: &[(&str, &str)] = &[
    ("CERTIFICATE", "PEM certificate"),
    ("CERTIFICATE REQUEST", "PEM certificate request"),
    ("NEW CERTIFICATE REQUEST", "PEM certificate request"),
    ("TRUSTED CERTIFICATE", "PEM certificate"),
    ("OPENSSH PRIVATE KEY", "OpenSSH private key"),
    ("RSA PRIVATE KEY", "PEM RSA private key"),
    ("EC PRIVATE KEY", "PEM EC private key"),
    ("DSA PRIVATE KEY", "PEM DSA private key"),
    ("ENCRYPTED PRIVATE KEY", "PEM encrypted private key"),
    ("PRIVATE KEY", "PEM private key"),
    ("PUBLIC KEY", "PEM public key"),
    ("RSA PUBLIC KEY", "PEM RSA public key"),
    ("PGP PUBLIC KEY BLOCK", "PGP public key"),
    ("PGP PRIVATE KEY BLOCK", "PGP private key"),
    ("PGP MESSAGE", "PGP message"),
    ("PGP SIGNATURE", "PGP signature"),
    ("X509 CRL", "PEM certificate revocation list"),
    ("DH PARAMETERS", "PEM Diffie-Hellman parameters"),
];

fn pem(after_begin: &[u8]) -> String {
    let text = String::from_utf8_lossy(after_begin);
    let (label, complete) = match text.find("-----") {
        Some(end) => (&text[..end], true),
        None => (text.lines().next().unwrap_or(""), false),
    };
    let found =
        PEM_LABELS.iter().find(|(l, _)| if complete { *l == label } else { !label.is_empty() && l.starts_with(label) });
    match found {
        Some((_, name)) => name.to_string(),
        None if label.is_empty() => "PEM data".to_string(),
        None => format!("PEM data ({label}{})", if complete { "" } else { "…" }),
    }
}

const SSH_KEY_PREFIXES: &[&str] =
    &["ssh-rsa ", "ssh-ed25519 ", "ssh-dss ", "ecdsa-sha2-", "sk-ssh-ed25519@", "sk-ecdsa-sha2-", "ssh-ed448 "];

/// JSON: an object that begins with a member or is empty, or an array of values (not `[name]`).
fn looks_like_json(t: &[u8]) -> bool {
    let next = |rest: &[u8]| rest.iter().copied().find(|b| !b.is_ascii_whitespace());
    match t.first() {
        Some(b'{') => matches!(next(&t[1..]), Some(b'"') | Some(b'}') | None),
        Some(b'[') => matches!(next(&t[1..]), Some(b'{' | b'[' | b'"' | b']' | b'-' | b'0'..=b'9') | None),
        _ => false,
    }
}

/// The file type the leading bytes show, without its source.
pub fn magic_type(data: &[u8], path: &str) -> Option<String> {
    let d = data;
    let has = |magic: &[u8]| d.starts_with(magic);
    let ext = extension(path).unwrap_or_default();
    let named = |s: &str| Some(s.to_string());

    if has(b"\x7fELF") {
        return Some(elf(d));
    }
    if has(b"#!") {
        return Some(shebang(d));
    }
    if has(b"\x1f\x8b") {
        return named("gzip compressed data");
    }
    if has(b"BZh") {
        return named("bzip2 compressed data");
    }
    if has(b"\xfd7zXZ\x00") {
        return named("xz compressed data");
    }
    if has(b"\x28\xb5\x2f\xfd") {
        return named("Zstandard compressed data");
    }
    if has(b"\x04\x22\x4d\x18") {
        return named("LZ4 compressed data");
    }
    if has(b"PK\x03\x04") || has(b"PK\x05\x06") || has(b"PK\x07\x08") {
        return named(match ext.as_str() {
            "jar" | "war" | "ear" => "Java archive (zip)",
            "apk" => "Android package (zip)",
            "whl" => "Python wheel (zip)",
            "docx" | "xlsx" | "pptx" | "odt" | "ods" | "odp" => "Office document (zip)",
            _ => "Zip archive",
        });
    }
    if has(b"7z\xbc\xaf\x27\x1c") {
        return named("7-Zip archive");
    }
    if has(b"Rar!\x1a\x07") {
        return named("RAR archive");
    }
    if d.get(257..262) == Some(&b"ustar"[..]) {
        return named("tar archive");
    }
    if has(b"%PDF-") {
        return named("PDF document");
    }
    if has(b"\x89PNG\r\n\x1a\n") {
        return named("PNG image");
    }
    if has(b"\xff\xd8\xff") {
        return named("JPEG image");
    }
    if has(b"GIF87a") || has(b"GIF89a") {
        return named("GIF image");
    }
    if has(b"BM") && d.get(6..10) == Some(&[0u8; 4][..]) {
        return named("BMP image");
    }
    if has(b"\x00\x00\x01\x00") && d.get(4..6).is_some_and(|n| n != [0, 0]) {
        return named("Windows icon (ICO)");
    }
    if has(b"\xca\xfe\xba\xbe") {
        // Java class files and Mach-O universal binaries share this magic: the next word is the
        // class file version (45 and up) or the number of architectures (a few).
        let word = d.get(4..8).map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]));
        return named(match word {
            Some(n) if n < 30 => "Mach-O universal binary",
            _ => "Java class file",
        });
    }
    if has(b"MZ") && d.iter().skip(2).take(30).any(|b| !is_text_byte(*b)) {
        return named("DOS/Windows executable (MZ/PE)");
    }
    if has(b"\xfe\xed\xfa\xce") || has(b"\xce\xfa\xed\xfe") {
        return named("Mach-O 32-bit binary");
    }
    if has(b"\xfe\xed\xfa\xcf") || has(b"\xcf\xfa\xed\xfe") {
        return named("Mach-O 64-bit binary");
    }
    if has(b"\x00asm") {
        return named("WebAssembly module");
    }
    if has(b"SQLite format 3\x00") {
        return named("SQLite database");
    }
    if has(b"\xed\xab\xee\xdb") {
        return named("RPM package");
    }
    if let Some(rest) = d.strip_prefix(b"!<arch>\n") {
        let member = &rest[..rest.len().min(13)];
        let deb = (!member.is_empty() && b"debian-binary".starts_with(member)) || ext == "deb";
        return named(if deb { "Debian package (ar archive)" } else { "ar archive (static library or package)" });
    }
    if has(b"070701") || has(b"070702") || has(b"070707") {
        return named("cpio archive");
    }
    if let Some(rest) = d.strip_prefix(b"-----BEGIN ") {
        return Some(pem(rest));
    }
    if let Some(prefix) = SSH_KEY_PREFIXES.iter().find(|p| has(p.as_bytes())) {
        return Some(format!("SSH public key ({})", prefix.trim_end_matches([' ', '@', '-'])));
    }
    let t = trimmed_start(d);
    if starts_with_ci(t, "<?php") {
        return named("PHP script");
    }
    if starts_with_ci(t, "<?xml") {
        return named(if t.windows(4).any(|w| w == b"<svg") { "SVG image" } else { "XML document" });
    }
    if starts_with_ci(t, "<!doctype html") || starts_with_ci(t, "<html") {
        return named("HTML document");
    }
    if starts_with_ci(t, "<svg") {
        return named("SVG image");
    }
    if looks_like_json(t) {
        let s = String::from_utf8_lossy(t);
        let oci = s.contains("\"schemaVersion\"")
            || s.contains("application/vnd.oci.")
            || s.contains("application/vnd.docker.");
        return named(if oci { "OCI/Docker image manifest (JSON)" } else { "JSON document" });
    }
    None
}

// ---------------------------------------------------------------------------------------------------
// File type: path

/// The file name's extension, lower-case (`None` for dotfiles like `.bashrc` and names without one).
pub fn extension(path: &str) -> Option<String> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let dot = name.rfind('.').filter(|&i| i > 0 && i + 1 < name.len())?;
    Some(name[dot + 1..].to_ascii_lowercase())
}

/// By extension; the more specific two-part extensions are tried first.
const EXTENSIONS: &[(&str, &str)] = &[
    ("tar.gz", "gzip-compressed tar archive"),
    ("tar.bz2", "bzip2-compressed tar archive"),
    ("tar.xz", "xz-compressed tar archive"),
    ("tar.zst", "Zstandard-compressed tar archive"),
    ("sh", "Shell script"),
    ("bash", "Shell script"),
    ("zsh", "Shell script"),
    ("py", "Python script"),
    ("pyc", "Python bytecode"),
    ("pl", "Perl script"),
    ("pm", "Perl module"),
    ("rb", "Ruby script"),
    ("js", "JavaScript source"),
    ("mjs", "JavaScript source"),
    ("ts", "TypeScript source"),
    ("php", "PHP script"),
    ("lua", "Lua script"),
    ("ps1", "PowerShell script"),
    ("c", "C source"),
    ("h", "C header"),
    ("cpp", "C++ source"),
    ("cc", "C++ source"),
    ("cxx", "C++ source"),
    ("hpp", "C++ header"),
    ("go", "Go source"),
    ("rs", "Rust source"),
    ("java", "Java source"),
    ("jar", "Java archive"),
    ("war", "Java web archive"),
    ("class", "Java class file"),
    ("so", "Shared library"),
    ("ko", "Linux kernel module"),
    ("o", "Object file"),
    ("a", "Static library"),
    ("txt", "Text"),
    ("log", "Log file"),
    ("conf", "Configuration file"),
    ("cfg", "Configuration file"),
    ("ini", "INI configuration"),
    ("yaml", "YAML document"),
    ("yml", "YAML document"),
    ("json", "JSON document"),
    ("xml", "XML document"),
    ("html", "HTML document"),
    ("htm", "HTML document"),
    ("css", "CSS stylesheet"),
    ("md", "Markdown document"),
    ("csv", "CSV table"),
    ("sql", "SQL script"),
    ("service", "systemd service unit"),
    ("timer", "systemd timer unit"),
    ("socket", "systemd socket unit"),
    ("desktop", "Desktop entry"),
    ("pem", "PEM certificate or key"),
    ("crt", "Certificate"),
    ("cer", "Certificate"),
    ("key", "Private key"),
    ("pub", "Public key"),
    ("gz", "gzip compressed data"),
    ("tgz", "gzip-compressed tar archive"),
    ("bz2", "bzip2 compressed data"),
    ("xz", "xz compressed data"),
    ("zst", "Zstandard compressed data"),
    ("zip", "Zip archive"),
    ("7z", "7-Zip archive"),
    ("rar", "RAR archive"),
    ("tar", "tar archive"),
    ("deb", "Debian package"),
    ("rpm", "RPM package"),
    ("apk", "Android package"),
    ("iso", "ISO 9660 disk image"),
    ("img", "Disk image"),
    ("bin", "Binary data"),
    ("exe", "Windows executable"),
    ("dll", "Windows library"),
    ("wasm", "WebAssembly module"),
    ("sqlite", "SQLite database"),
    ("db", "Database file"),
    ("png", "PNG image"),
    ("jpg", "JPEG image"),
    ("jpeg", "JPEG image"),
    ("gif", "GIF image"),
    ("svg", "SVG image"),
    ("pdf", "PDF document"),
];

/// Files known by name, wherever they are.
const FILE_NAMES: &[(&str, &str)] = &[
    ("authorized_keys", "SSH authorized keys list"),
    ("authorized_keys2", "SSH authorized keys list"),
    ("known_hosts", "SSH known hosts list"),
    ("id_rsa", "SSH private key"),
    ("id_dsa", "SSH private key"),
    ("id_ecdsa", "SSH private key"),
    ("id_ed25519", "SSH private key"),
    ("id_ecdsa_sk", "SSH private key"),
    ("id_ed25519_sk", "SSH private key"),
    (".bashrc", "Shell startup file"),
    (".bash_profile", "Shell startup file"),
    (".bash_login", "Shell startup file"),
    (".bash_logout", "Shell startup file"),
    (".profile", "Shell startup file"),
    (".zshrc", "Shell startup file"),
    (".zprofile", "Shell startup file"),
    ("crontab", "Cron table"),
    ("Dockerfile", "Dockerfile"),
    ("Makefile", "Makefile"),
];

/// Files known by their full path.
const PATHS: &[(&str, &str)] = &[
    ("/etc/passwd", "User account database"),
    ("/etc/shadow", "Shadow password file"),
    ("/etc/group", "Group database"),
    ("/etc/gshadow", "Shadow group file"),
    ("/etc/sudoers", "sudo policy"),
    ("/etc/ld.so.preload", "Dynamic linker preload list"),
    ("/etc/rc.local", "Boot-time startup script"),
    ("/etc/hosts", "Host name table"),
    ("/etc/resolv.conf", "DNS resolver configuration"),
    ("/etc/profile", "Shell startup file"),
];

/// Files known by the directory they are in (prefixes of the path, the more specific first).
const DIRECTORIES: &[(&str, &str)] = &[
    ("/etc/cron.hourly/", "Cron job script"),
    ("/etc/cron.daily/", "Cron job script"),
    ("/etc/cron.weekly/", "Cron job script"),
    ("/etc/cron.monthly/", "Cron job script"),
    ("/etc/cron.d/", "Cron table"),
    ("/var/spool/cron/", "Cron table"),
    ("/etc/sudoers.d/", "sudo policy"),
    ("/etc/init.d/", "SysV init script"),
    ("/etc/profile.d/", "Shell startup file"),
    ("/etc/udev/rules.d/", "udev rule"),
    ("/etc/pam.d/", "PAM configuration"),
    ("/etc/modprobe.d/", "Kernel module configuration"),
    ("/etc/ld.so.conf.d/", "Dynamic linker configuration"),
];

/// The file type its path suggests, with its source: `(path …)`, `(directory …)`, `(file name …)` or
/// `(extension .…)`.
pub fn path_type(path: &str) -> Option<String> {
    if let Some((p, what)) = PATHS.iter().find(|(p, _)| *p == path) {
        return Some(format!("{what} (path {p})"));
    }
    if let Some((dir, what)) = DIRECTORIES.iter().find(|(d, _)| path.starts_with(d) && path.len() > d.len()) {
        return Some(format!("{what} (directory {dir})"));
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    if let Some((n, what)) = FILE_NAMES.iter().find(|(n, _)| *n == name) {
        return Some(format!("{what} (file name {n})"));
    }
    let lower = name.to_ascii_lowercase();
    if let Some((ext, what)) = EXTENSIONS.iter().find(|(e, _)| e.contains('.') && lower.ends_with(&format!(".{e}"))) {
        return Some(format!("{what} (extension .{ext})"));
    }
    if let Some(ext) = extension(path) {
        if let Some((e, what)) = EXTENSIONS.iter().find(|(e, _)| *e == ext) {
            return Some(format!("{what} (extension .{e})"));
        }
    }
    // Versioned shared libraries: libc.so.6, libssl.so.3.0.2.
    if lower.contains(".so.") {
        return Some("Shared library (file name *.so.*)".to_string());
    }
    None
}

/// The file type: from the magic bytes, else from the path, else from whether the bytes are text.
pub fn file_type(path: &str, data: &[u8]) -> Option<String> {
    if let Some(t) = magic_type(data, path) {
        return Some(format!("{t} (magic bytes)"));
    }
    if let Some(t) = path_type(path) {
        return Some(t);
    }
    if data.is_empty() {
        return None;
    }
    let text = data.iter().all(|&b| is_text_byte(b)) && std::str::from_utf8(data).is_ok();
    Some(if text { "Text (content)" } else { "Unknown binary data (content)" }.to_string())
}

// ---------------------------------------------------------------------------------------------------
// The plugin

impl Files {
    fn file_open(&self, e: &Event) {
        let path = arg_path(e, "pathname");
        let syscall_path = arg_path(e, "syscall_pathname");
        let Some(shown) = path.clone().or_else(|| syscall_path.clone()) else { return };
        let flags = e.arg("flags");
        let access = flags.and_then(access_mode);
        let flag_names = flags.and_then(|f| match as_i64(f) {
            Some(n) => {
                let decoded = decode_open_flags(n);
                self.open_flags.put(&decoded);
                Some(decoded)
            }
            None => f.as_str().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string),
        });
        if let Some(a) = access {
            self.open_access.put(a);
        }
        let mut s = format!("{}: open {shown}", process(e));
        match (access, &flag_names) {
            (Some(a), Some(f)) => s.push_str(&format!(" ({a}; {f})")),
            (Some(a), None) => s.push_str(&format!(" ({a})")),
            (None, Some(f)) => s.push_str(&format!(" ({f})")),
            (None, None) => {}
        }
        if let (Some(p), Some(sp)) = (&path, &syscall_path) {
            if p != sp {
                s.push_str(&format!(", requested as {sp}"));
            }
        }
        show_info(&s);
    }

    fn magic_write(&self, e: &Event) {
        let path = arg_path(e, "pathname");
        let data = e.arg("bytes").and_then(written_bytes);
        if path.is_none() && data.is_none() {
            return;
        }
        let data = data.unwrap_or_default();
        if !data.is_empty() {
            self.data.put(&printable(&data));
        }
        let kind = file_type(path.as_deref().unwrap_or(""), &data);
        if let Some(k) = &kind {
            self.file_type.put(k);
        }
        let shown = path.as_deref().unwrap_or("(unknown path)");
        match kind {
            Some(k) => show_info(&format!("magic_write {shown}: {k}")),
            None => show_info(&format!("magic_write {shown}")),
        };
    }
}

impl Plugin for Files {
    fn describe() -> Self {
        Files {
            open_access: Field::declare("file_open_access", "Access Mode"),
            open_flags: Field::declare("file_open_flags", "Open Flags"),
            data: Field::declare("magic_write_data", "Decoded data"),
            file_type: Field::declare("magic_write_file_type", "File type"),
        }
    }

    fn enrich(&mut self, e: &Event) -> Result<(), String> {
        match e.name() {
            "security_file_open" => self.file_open(e),
            "magic_write" => self.magic_write(e),
            _ => {}
        }
        Ok(())
    }
}

export_plugin!(Files);

#[cfg(test)]
mod tests {
    use super::*;
    use trackershark_plugin::test_host::{run, Record};

    fn ev(json: &str) -> Record {
        run::<Files>(json).unwrap()
    }

    /// Base64 (standard alphabet, padded), as Tracker writes bytes.
    fn b64(data: &[u8]) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut s = String::new();
        for chunk in data.chunks(3) {
            let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
            for i in 0..4 {
                s.push(if i <= chunk.len() { A[(n >> (18 - 6 * i) & 63) as usize] as char } else { '=' });
            }
        }
        s
    }

    fn magic_write(path: &str, data: &[u8]) -> Record {
        ev(&format!(
            r#"{{"eventName":"magic_write","args":{{"pathname":"{path}","bytes":"{}","dev":2049,"inode":42}}}}"#,
            b64(data)
        ))
    }

    fn elf_header(class: u8, big: bool, e_type: u16, machine: u16) -> Vec<u8> {
        let mut h = vec![0x7f, b'E', b'L', b'F', class, if big { 2 } else { 1 }, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let enc = |v: u16| if big { v.to_be_bytes() } else { v.to_le_bytes() };
        h.extend(enc(e_type));
        h.extend(enc(machine));
        h
    }

    #[test]
    fn declares_its_fields() {
        let r = ev(r#"{"eventName":"nothing"}"#);
        assert_eq!(
            r.declared,
            vec![
                ("file_open_access".to_string(), "Access Mode".to_string()),
                ("file_open_flags".into(), "Open Flags".into()),
                ("magic_write_data".into(), "Decoded data".into()),
                ("magic_write_file_type".into(), "File type".into()),
            ]
        );
        assert!(r.fields.is_empty());
        assert_eq!(r.info, None);
    }

    #[test]
    fn file_open_from_the_corpus() {
        let r = ev(r#"{"eventName":"security_file_open","processName":"bash","syscall":"openat","args":{
            "pathname":"/tmp/testing.txt","flags":"O_WRONLY|O_CREAT|O_TRUNC|O_LARGEFILE","dev":271581185,"inode":1966101,
            "ctime":1657321027326584850,"syscall_pathname":"/tmp/testing.txt"}}"#);
        assert_eq!(
            r.info.as_deref(),
            Some("bash: open /tmp/testing.txt (write-only; O_WRONLY|O_CREAT|O_TRUNC|O_LARGEFILE)")
        );
        // Flags already named: only the access mode is added.
        assert_eq!(r.fields, vec![("file_open_access".to_string(), "write-only".to_string())]);
    }

    #[test]
    fn file_open_numeric_flags() {
        let r = ev(
            r#"{"eventName":"security_file_open","processName":"cat","args":{"pathname":"/etc/shadow","flags":524288,
            "syscall_pathname":"/etc/shadow"}}"#,
        );
        assert_eq!(r.info.as_deref(), Some("cat: open /etc/shadow (read-only; O_RDONLY|O_CLOEXEC)"));
        assert_eq!(r.values("file_open_flags"), vec!["O_RDONLY|O_CLOEXEC"]);
        assert_eq!(r.values("file_open_access"), vec!["read-only"]);
        // 0x80241 = O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, written as hex text.
        let r = ev(
            r#"{"eventName":"security_file_open","processName":"sh","args":{"pathname":"/tmp/x","flags":"0x80241"}}"#,
        );
        assert_eq!(r.info.as_deref(), Some("sh: open /tmp/x (write-only; O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC)"));
        // Decimal text.
        let r = ev(r#"{"eventName":"security_file_open","args":{"pathname":"/a","flags":"32770"}}"#);
        assert_eq!(r.info.as_deref(), Some("?: open /a (read-write; O_RDWR|O_LARGEFILE)"));
    }

    #[test]
    fn open_flag_decoding() {
        assert_eq!(decode_open_flags(0), "O_RDONLY");
        assert_eq!(decode_open_flags(0o2), "O_RDWR");
        assert_eq!(
            decode_open_flags(0o1 | 0o100 | 0o200 | 0o400 | 0o1000 | 0o2000 | 0o4000),
            "O_WRONLY|O_CREAT|O_EXCL|O_NOCTTY|O_TRUNC|O_APPEND|O_NONBLOCK"
        );
        assert_eq!(
            decode_open_flags(0o20000 | 0o40000 | 0o100000 | 0o200000 | 0o400000 | 0o1000000 | 0o2000000),
            "O_RDONLY|FASYNC|O_DIRECT|O_LARGEFILE|O_DIRECTORY|O_NOFOLLOW|O_NOATIME|O_CLOEXEC"
        );
        // O_DSYNC alone, and O_SYNC (which includes O_DSYNC).
        assert_eq!(decode_open_flags(0o10000), "O_RDONLY|O_DSYNC");
        assert_eq!(decode_open_flags(0o4010001), "O_WRONLY|O_SYNC");
        // O_TMPFILE includes O_DIRECTORY.
        assert_eq!(decode_open_flags(0o20200002), "O_RDWR|O_TMPFILE");
        // O_PATH ignores the access mode.
        assert_eq!(decode_open_flags(0o12000000), "O_CLOEXEC|O_PATH");
        assert_eq!(decode_open_flags(3), "O_ACCMODE");
        assert_eq!(decode_open_flags(0x8000_0000u32 as i64), "O_RDONLY|0x80000000");
        assert_eq!(decode_open_flags(-1), decode_open_flags(0xffff_ffff));
    }

    #[test]
    fn access_modes() {
        let mode = |json: &str| access_mode(&trackershark_plugin::serde_json::from_str(json).unwrap());
        assert_eq!(mode("0"), Some("read-only"));
        assert_eq!(mode("1"), Some("write-only"));
        assert_eq!(mode("2"), Some("read-write"));
        assert_eq!(mode("3"), Some("no read/write"));
        assert_eq!(mode("2097152"), Some("path only"));
        assert_eq!(mode(r#""O_RDWR|O_CLOEXEC""#), Some("read-write"));
        assert_eq!(mode(r#""O_PATH|O_CLOEXEC""#), Some("path only"));
        assert_eq!(mode(r#""O_RDONLY""#), Some("read-only"));
        assert_eq!(mode("[1]"), None);
        let r =
            ev(r#"{"eventName":"security_file_open","processName":"ls","args":{"pathname":"/proc","flags":2686976}}"#);
        assert_eq!(r.info.as_deref(), Some("ls: open /proc (path only; O_DIRECTORY|O_CLOEXEC|O_PATH)"));
    }

    #[test]
    fn file_open_paths() {
        // The path the process gave differs from the one opened (a relative path, a symlink).
        let r = ev(
            r#"{"eventName":"security_file_open","processName":"cat","args":{"pathname":"/etc/passwd","flags":"O_RDONLY",
            "syscall_pathname":"../../etc/passwd"}}"#,
        );
        assert_eq!(
            r.info.as_deref(),
            Some("cat: open /etc/passwd (read-only; O_RDONLY), requested as ../../etc/passwd")
        );
        // Only the syscall's path; no flags.
        let r = ev(r#"{"eventName":"security_file_open","processName":"a","args":{"syscall_pathname":"x.txt"}}"#);
        assert_eq!(r.info.as_deref(), Some("a: open x.txt"));
        assert!(r.fields.is_empty());
        // Flags that are neither a number nor text.
        let r = ev(
            r#"{"eventName":"security_file_open","processName":"a","args":{"pathname":"/x","flags":{"v":1},"syscall_pathname":""}}"#,
        );
        assert_eq!(r.info.as_deref(), Some("a: open /x"));
        // No path: nothing.
        for json in [
            r#"{"eventName":"security_file_open"}"#,
            r#"{"eventName":"security_file_open","args":{"flags":0}}"#,
            r#"{"eventName":"security_file_open","args":{"pathname":"","flags":0}}"#,
            r#"{"eventName":"security_file_open","args":[1,2]}"#,
        ] {
            let r = ev(json);
            assert_eq!(r.info, None, "{json}");
            assert!(r.fields.is_empty(), "{json}");
        }
    }

    #[test]
    fn magic_write_elf() {
        let r = magic_write("/tmp/payload", &elf_header(2, false, 2, 0x3e));
        assert_eq!(r.info.as_deref(), Some("magic_write /tmp/payload: ELF 64-bit executable, x86-64 (magic bytes)"));
        assert_eq!(
            r.values("magic_write_data"),
            vec!["\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00>\\x00"]
        );
        assert_eq!(r.values("magic_write_file_type"), vec!["ELF 64-bit executable, x86-64 (magic bytes)"]);
        let t = |h: Vec<u8>| magic_type(&h, "").unwrap();
        assert_eq!(t(elf_header(2, false, 3, 0xb7)), "ELF 64-bit shared object or PIE executable, AArch64");
        assert_eq!(t(elf_header(2, false, 1, 0x3e)), "ELF 64-bit relocatable (object file or kernel module), x86-64");
        assert_eq!(t(elf_header(1, true, 2, 8)), "ELF 32-bit executable, MIPS");
        assert_eq!(t(elf_header(2, false, 4, 0xf3)), "ELF 64-bit core dump, RISC-V");
        // Only the first bytes: what they say.
        assert_eq!(t(b"\x7fELF\x02\x01".to_vec()), "ELF 64-bit file");
        assert_eq!(t(b"\x7fELF".to_vec()), "ELF file");
        // The magic bytes outrank the extension.
        let r = magic_write("/usr/lib/libx.so.1", &elf_header(2, false, 3, 0x3e));
        assert_eq!(
            r.values("magic_write_file_type"),
            vec!["ELF 64-bit shared object or PIE executable, x86-64 (magic bytes)"]
        );
    }

    #[test]
    fn magic_write_scripts() {
        let r = magic_write("/tmp/x", b"#!/usr/bin/env python3\nimport os");
        assert_eq!(
            r.info.as_deref(),
            Some("magic_write /tmp/x: Python script, interpreter /usr/bin/env python3 (magic bytes)")
        );
        assert_eq!(r.values("magic_write_data"), vec!["#!/usr/bin/env python3\\nimport os"]);
        let t = |d: &[u8]| magic_type(d, "").unwrap();
        assert_eq!(t(b"#!/bin/sh\necho hi"), "Shell script, interpreter /bin/sh");
        assert_eq!(t(b"#! /bin/bash -e\n"), "Shell script, interpreter /bin/bash");
        assert_eq!(t(b"#!/usr/bin/env -S perl -w\n"), "Perl script, interpreter /usr/bin/env perl");
        assert_eq!(t(b"#!/usr/bin/python3.11\n"), "Python script, interpreter /usr/bin/python3.11");
        assert_eq!(t(b"#!/usr/bin/node\n"), "JavaScript script, interpreter /usr/bin/node");
        assert_eq!(t(b"#!/usr/bin/ruby"), "Ruby script, interpreter /usr/bin/ruby");
        assert_eq!(t(b"#!/bin/busybox sh"), "Shell script, interpreter /bin/busybox");
        assert_eq!(t(b"#!/opt/tool/run\n"), "Script, interpreter /opt/tool/run");
        assert_eq!(t(b"#!\n"), "Script");
        assert_eq!(t(b"#!/usr/bin/env"), "Script, interpreter /usr/bin/env");
        assert_eq!(t(b"<?php system($_GET['c']); ?>"), "PHP script");
    }

    #[test]
    fn magic_signatures() {
        let mut tar = vec![0u8; 300];
        tar[257..262].copy_from_slice(b"ustar");
        let cases: Vec<(&[u8], &str, &str)> = vec![
            (b"\x1f\x8b\x08\x00", "", "gzip compressed data"),
            (b"BZh91AY&SY", "", "bzip2 compressed data"),
            (b"\xfd7zXZ\x00\x00", "", "xz compressed data"),
            (b"\x28\xb5\x2f\xfd\x04", "", "Zstandard compressed data"),
            (b"\x04\x22\x4d\x18", "", "LZ4 compressed data"),
            (b"PK\x03\x04\x14\x00", "/tmp/a.zip", "Zip archive"),
            (b"PK\x03\x04\x14\x00", "/tmp/evil.jar", "Java archive (zip)"),
            (b"PK\x03\x04\x14\x00", "/sdcard/app.APK", "Android package (zip)"),
            (b"PK\x05\x06", "", "Zip archive"),
            (b"7z\xbc\xaf\x27\x1c\x00\x04", "", "7-Zip archive"),
            (b"Rar!\x1a\x07\x01\x00", "", "RAR archive"),
            (&tar, "", "tar archive"),
            (b"%PDF-1.7\n", "", "PDF document"),
            (b"\x89PNG\r\n\x1a\n\x00\x00", "", "PNG image"),
            (b"\xff\xd8\xff\xe0\x00\x10JFIF", "", "JPEG image"),
            (b"GIF89a\x01\x00", "", "GIF image"),
            (b"BM\x36\x00\x0c\x00\x00\x00\x00\x00\x36\x00", "", "BMP image"),
            (b"\x00\x00\x01\x00\x01\x00\x10\x10", "", "Windows icon (ICO)"),
            (b"\xca\xfe\xba\xbe\x00\x00\x00\x34", "", "Java class file"),
            (b"\xca\xfe\xba\xbe\x00\x00\x00\x02", "", "Mach-O universal binary"),
            (b"MZ\x90\x00\x03\x00\x00\x00", "", "DOS/Windows executable (MZ/PE)"),
            (b"\xcf\xfa\xed\xfe\x07\x00\x00\x01", "", "Mach-O 64-bit binary"),
            (b"\xce\xfa\xed\xfe", "", "Mach-O 32-bit binary"),
            (b"\x00asm\x01\x00\x00\x00", "", "WebAssembly module"),
            (b"SQLite format 3\x00\x10\x00", "", "SQLite database"),
            (b"\xed\xab\xee\xdb\x03\x00", "", "RPM package"),
            (b"!<arch>\ndebian-binar", "", "Debian package (ar archive)"),
            (b"!<arch>\n/               ", "", "ar archive (static library or package)"),
            (b"!<arch>\n", "/tmp/x.deb", "Debian package (ar archive)"),
            (b"070701000A1B2C", "", "cpio archive"),
            (b"-----BEGIN CERTIFICATE-----\nMIIB", "", "PEM certificate"),
            (b"-----BEGIN CERTIFICA", "", "PEM certificate"),
            (b"-----BEGIN CERTIFICATE REQUEST-----", "", "PEM certificate request"),
            (b"-----BEGIN RSA PRIVATE KEY-----", "", "PEM RSA private key"),
            (b"-----BEGIN OPENSSH PRIVATE KEY-----", "", "OpenSSH private key"),
            (b"-----BEGIN PRIVATE KEY-----", "", "PEM private key"),
            (b"-----BEGIN PUBLIC KEY-----", "", "PEM public key"),
            (b"-----BEGIN PGP SIGNATURE-----", "", "PGP signature"),
            (b"-----BEGIN FOO BAR-----", "", "PEM data (FOO BAR)"),
            (b"-----BEGIN WIDGE", "", "PEM data (WIDGE…)"),
            (b"-----BEGIN ", "", "PEM data"),
            (b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5", "", "SSH public key (ssh-ed25519)"),
            (b"ssh-rsa AAAAB3NzaC1yc2E", "", "SSH public key (ssh-rsa)"),
            (b"ecdsa-sha2-nistp256 AAAA", "", "SSH public key (ecdsa-sha2)"),
            (b"<?xml version=\"1.0\"?>", "", "XML document"),
            (b"<?xml version=\"1.0\"?><svg xmlns", "", "SVG image"),
            (b"\xef\xbb\xbf  <!DOCTYPE html><html>", "", "HTML document"),
            (b"<HTML><HEAD>", "", "HTML document"),
            (b"{\"schemaVersion\": 2, \"mediaType\"", "", "OCI/Docker image manifest (JSON)"),
            (b"{\"mediaType\":\"application/vnd.oci.image.index.v1+json\"", "", "OCI/Docker image manifest (JSON)"),
            (b"{\n  \"name\": \"x\"", "", "JSON document"),
            (b"[{\"a\":1}]", "", "JSON document"),
            (b"{}", "", "JSON document"),
        ];
        for (data, path, expected) in cases {
            assert_eq!(magic_type(data, path).as_deref(), Some(expected), "{data:?}");
        }
        // Weak signatures need more than their two bytes.
        for data in
            [&b"BMW is a car"[..], b"MZ is text only", b"[network]\nx=1", b"{ not json", b"\x00\x00\x01\x00\x00\x00"]
        {
            assert_eq!(magic_type(data, ""), None, "{data:?}");
        }
        assert_eq!(magic_type(b"", ""), None);
    }

    #[test]
    fn types_by_path_and_extension() {
        let r = magic_write("/home/u/tool.py", b"import socket,subprocess");
        assert_eq!(r.info.as_deref(), Some("magic_write /home/u/tool.py: Python script (extension .py)"));
        let cases = [
            ("/etc/cron.d/backdoor", "Cron table (directory /etc/cron.d/)"),
            ("/var/spool/cron/crontabs/root", "Cron table (directory /var/spool/cron/)"),
            ("/etc/cron.daily/job", "Cron job script (directory /etc/cron.daily/)"),
            ("/etc/crontab", "Cron table (file name crontab)"),
            ("/root/.ssh/authorized_keys", "SSH authorized keys list (file name authorized_keys)"),
            ("/home/u/.ssh/id_ed25519", "SSH private key (file name id_ed25519)"),
            ("/home/u/.bashrc", "Shell startup file (file name .bashrc)"),
            ("/etc/ld.so.preload", "Dynamic linker preload list (path /etc/ld.so.preload)"),
            ("/etc/passwd", "User account database (path /etc/passwd)"),
            ("/etc/sudoers.d/90-x", "sudo policy (directory /etc/sudoers.d/)"),
            ("/etc/systemd/system/evil.service", "systemd service unit (extension .service)"),
            ("/tmp/a.tar.gz", "gzip-compressed tar archive (extension .tar.gz)"),
            ("/tmp/A.TGZ", "gzip-compressed tar archive (extension .tgz)"),
            ("/lib/modules/rootkit.ko", "Linux kernel module (extension .ko)"),
            ("/usr/lib/libssl.so.3", "Shared library (file name *.so.*)"),
            ("/srv/www/shell.php", "PHP script (extension .php)"),
            ("/home/u/.ssh/id_rsa.pub", "Public key (extension .pub)"),
        ];
        for (path, expected) in cases {
            assert_eq!(path_type(path).as_deref(), Some(expected), "{path}");
        }
        for path in ["", "/tmp/noext", "/tmp/.hidden", "/tmp/x.unknownext", "/etc/cron.d/", "dir.d/"] {
            assert_eq!(path_type(path), None, "{path}");
        }
        assert_eq!(EXTENSIONS.len(), 84);
        assert_eq!(extension("/a/b.C"), Some("c".to_string()));
        assert_eq!(extension("/a.d/b"), None);
    }

    #[test]
    fn types_by_content_as_a_last_resort() {
        let r = magic_write("/tmp/notes", b"hello world\n");
        assert_eq!(r.info.as_deref(), Some("magic_write /tmp/notes: Text (content)"));
        let r = magic_write("/tmp/blob", b"\x01\x02\x03\xff");
        assert_eq!(r.values("magic_write_file_type"), vec!["Unknown binary data (content)"]);
        assert_eq!(r.values("magic_write_data"), vec!["\\x01\\x02\\x03\\xff"]);
        // No data and an unknown path: no type.
        let r = ev(r#"{"eventName":"magic_write","args":{"pathname":"/tmp/nothing"}}"#);
        assert_eq!(r.info.as_deref(), Some("magic_write /tmp/nothing"));
        assert!(r.fields.is_empty());
        // No data, a known extension.
        let r = ev(r#"{"eventName":"magic_write","args":{"pathname":"/tmp/run.sh","bytes":""}}"#);
        assert_eq!(r.info.as_deref(), Some("magic_write /tmp/run.sh: Shell script (extension .sh)"));
        assert_eq!(r.values("magic_write_data"), Vec::<&str>::new());
    }

    #[test]
    fn decoded_data() {
        assert_eq!(printable(b"a\\b\tc\r\n\x00\x7f\xc3\xa9"), "a\\\\b\\tc\\r\\n\\x00\\x7f\\xc3\\xa9");
        let long = vec![b'A'; 300];
        let s = printable(&long);
        assert_eq!(s, format!("{} (+44 more bytes)", "A".repeat(256)));
        // Bytes as an array of numbers; text that is not base64 is taken as it is.
        let r = ev(r#"{"eventName":"magic_write","args":{"pathname":"/tmp/p","bytes":[127,69,76,70,2]}}"#);
        assert_eq!(r.values("magic_write_data"), vec!["\\x7fELF\\x02"]);
        assert_eq!(r.values("magic_write_file_type"), vec!["ELF 64-bit file (magic bytes)"]);
        let r = ev(r##"{"eventName":"magic_write","args":{"pathname":"/tmp/p","bytes":"#!/bin/sh"}}"##);
        assert_eq!(r.values("magic_write_data"), vec!["#!/bin/sh"]);
        let r = ev(r#"{"eventName":"magic_write","args":{"pathname":"/tmp/p","bytes":[1,300]}}"#);
        assert_eq!(r.info.as_deref(), Some("magic_write /tmp/p"));
    }

    #[test]
    fn base64_variants() {
        assert_eq!(base64_decode("f0VMRgIBAQ==").unwrap(), b"\x7fELF\x02\x01\x01");
        assert_eq!(base64_decode("f0VMRgIBAQ").unwrap(), b"\x7fELF\x02\x01\x01");
        assert_eq!(base64_decode("_-8=").unwrap(), b"\xff\xef");
        assert_eq!(base64_decode("/+8=").unwrap(), b"\xff\xef");
        assert_eq!(base64_decode("f0VM\nRg==").unwrap(), b"\x7fELF");
        assert_eq!(base64_decode("").unwrap(), b"");
        assert_eq!(base64_decode("ab=c"), None);
        assert_eq!(base64_decode("a!"), None);
        for data in [&b""[..], b"a", b"ab", b"abc", b"\x00\xff\x10\x80"] {
            assert_eq!(base64_decode(&b64(data)).unwrap(), data);
        }
    }

    #[test]
    fn magic_write_without_a_path() {
        let r = ev(&format!(r#"{{"eventName":"magic_write","args":{{"bytes":"{}"}}}}"#, b64(b"\x1f\x8b\x08")));
        assert_eq!(r.info.as_deref(), Some("magic_write (unknown path): gzip compressed data (magic bytes)"));
        for json in [
            r#"{"eventName":"magic_write"}"#,
            r#"{"eventName":"magic_write","args":{}}"#,
            r#"{"eventName":"magic_write","args":{"pathname":5,"bytes":{}}}"#,
        ] {
            let r = ev(json);
            assert_eq!(r.info, None, "{json}");
            assert!(r.fields.is_empty(), "{json}");
        }
    }

    #[test]
    fn control_characters_in_paths_are_escaped() {
        let r = ev(r#"{"eventName":"security_file_open","processName":"a","args":{"pathname":"/tmp/x\ny","flags":0}}"#);
        assert_eq!(r.info.as_deref(), Some("a: open /tmp/x\\x0ay (read-only; O_RDONLY)"));
    }

    #[test]
    fn odd_shapes_never_fail() {
        let args = [
            "null",
            "[]",
            "7",
            r#"{"pathname":[],"flags":[],"syscall_pathname":{},"bytes":null}"#,
            r#"{"pathname":"/x","flags":-1,"bytes":"===="}"#,
            r#"{"pathname":"/","flags":"|||","bytes":[-1,"x",{}]}"#,
            r#"{"pathname":"\u0000","bytes":"IyE="}"#,
            r#"{"pathname":"x.","bytes":"LS0tLS1CRUdJTiAtLS0tLQ=="}"#,
        ];
        for name in ["security_file_open", "magic_write", "other"] {
            for a in args {
                let json = format!(r#"{{"eventName":"{name}","args":{a}}}"#);
                assert!(run::<Files>(&json).is_ok(), "{json}");
            }
        }
        // Every short prefix of every signature: no slicing out of bounds.
        for data in [
            &b"\x7fELF\x02\x01\x01\x00"[..],
            b"#!/usr/bin/env python",
            b"-----BEGIN RSA",
            b"!<arch>\ndeb",
            b"\xca\xfe\xba\xbe\x00",
        ] {
            for n in 0..=data.len() {
                let _ = file_type("/x", &data[..n]);
            }
        }
    }
}
