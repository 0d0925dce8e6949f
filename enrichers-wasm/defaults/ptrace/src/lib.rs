//! `ptrace`: names the request (`[Request Name]`, e.g. `PTRACE_ATTACH`) and says who traces whom.

use trackershark_plugin::{as_i64, export_plugin, show_info, Event, Field, Plugin};

pub struct Ptrace {
    request_name: Field,
}

/// Request numbers of `<sys/ptrace.h>` (x86_64 and generic).
const REQUESTS: &[(i64, &str)] = &[
    (0, "PTRACE_TRACEME"),
    (1, "PTRACE_PEEKTEXT"),
    (2, "PTRACE_PEEKDATA"),
    (3, "PTRACE_PEEKUSER"),
    (4, "PTRACE_POKETEXT"),
    (5, "PTRACE_POKEDATA"),
    (6, "PTRACE_POKEUSER"),
    (7, "PTRACE_CONT"),
    (8, "PTRACE_KILL"),
    (9, "PTRACE_SINGLESTEP"),
    (12, "PTRACE_GETREGS"),
    (13, "PTRACE_SETREGS"),
    (14, "PTRACE_GETFPREGS"),
    (15, "PTRACE_SETFPREGS"),
    (16, "PTRACE_ATTACH"),
    (17, "PTRACE_DETACH"),
    (18, "PTRACE_GETFPXREGS"),
    (19, "PTRACE_SETFPXREGS"),
    (24, "PTRACE_SYSCALL"),
    (25, "PTRACE_GET_THREAD_AREA"),
    (26, "PTRACE_SET_THREAD_AREA"),
    (30, "PTRACE_ARCH_PRCTL"),
    (31, "PTRACE_SYSEMU"),
    (32, "PTRACE_SYSEMU_SINGLESTEP"),
    (33, "PTRACE_SINGLEBLOCK"),
    (0x4200, "PTRACE_SETOPTIONS"),
    (0x4201, "PTRACE_GETEVENTMSG"),
    (0x4202, "PTRACE_GETSIGINFO"),
    (0x4203, "PTRACE_SETSIGINFO"),
    (0x4204, "PTRACE_GETREGSET"),
    (0x4205, "PTRACE_SETREGSET"),
    (0x4206, "PTRACE_SEIZE"),
    (0x4207, "PTRACE_INTERRUPT"),
    (0x4208, "PTRACE_LISTEN"),
    (0x4209, "PTRACE_PEEKSIGINFO"),
    (0x420a, "PTRACE_GETSIGMASK"),
    (0x420b, "PTRACE_SETSIGMASK"),
    (0x420c, "PTRACE_SECCOMP_GET_FILTER"),
    (0x420d, "PTRACE_SECCOMP_GET_METADATA"),
    (0x420e, "PTRACE_GET_SYSCALL_INFO"),
    (0x420f, "PTRACE_GET_RSEQ_CONFIGURATION"),
    (0x4210, "PTRACE_SET_SYSCALL_USER_DISPATCH_CONFIG"),
    (0x4211, "PTRACE_GET_SYSCALL_USER_DISPATCH_CONFIG"),
];

/// The request's name: looked up when numeric, kept when Tracker already wrote a name.
pub fn request_name(event: &Event) -> Option<String> {
    let request = event.arg("request")?;
    if let Some(name) = request.as_str().filter(|s| s.starts_with("PTRACE_")) {
        return Some(name.to_string());
    }
    let n = as_i64(request)?;
    Some(match REQUESTS.iter().find(|(v, _)| *v == n) {
        Some((_, name)) => name.to_string(),
        None => format!("unknown request {n}"),
    })
}

impl Plugin for Ptrace {
    fn describe() -> Self {
        Ptrace { request_name: Field::declare("ptrace_request", "Request Name") }
    }

    fn enrich(&mut self, event: &Event) -> Result<(), String> {
        let Some(name) = request_name(event) else { return Ok(()) };
        self.request_name.put(&name);
        let tracer = event.str("processName").unwrap_or("?");
        let info = match event.arg_i64("pid") {
            Some(pid) if name != "PTRACE_TRACEME" => format!("{tracer}: ptrace {name} on pid {pid}"),
            _ => format!("{tracer}: ptrace {name}"),
        };
        show_info(&info);
        Ok(())
    }
}

export_plugin!(Ptrace);

#[cfg(test)]
mod tests {
    use super::*;
    use trackershark_plugin::test_host::run;

    #[test]
    fn numeric_and_named_requests() {
        let r = run::<Ptrace>(r#"{"eventName":"ptrace","processName":"gdb","args":{"request":16,"pid":42}}"#).unwrap();
        assert_eq!(r.fields, vec![("ptrace_request".into(), "PTRACE_ATTACH".into())]);
        assert_eq!(r.info.as_deref(), Some("gdb: ptrace PTRACE_ATTACH on pid 42"));
        let r =
            run::<Ptrace>(r#"{"eventName":"ptrace","processName":"x","args":{"request":"PTRACE_TRACEME","pid":0}}"#)
                .unwrap();
        assert_eq!(r.info.as_deref(), Some("x: ptrace PTRACE_TRACEME"));
        let r = run::<Ptrace>(r#"{"eventName":"ptrace","args":{"request":99999}}"#).unwrap();
        assert_eq!(r.fields[0].1, "unknown request 99999");
    }
}
