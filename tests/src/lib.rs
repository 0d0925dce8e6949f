//! Test harness: installs the plugin with the real `trackershark install` into a throw-away home,
//! then runs Wireshark's own tools there as an unprivileged user (`nobody` when the tests run as
//! root, as CI does), the way analysts run them.
//!
//! Needs the release build (`scripts/build.sh`): `target/release/trackershark` and the engine
//! modules; `TRACKERSHARK_BIN_DIR` points elsewhere.
//!
//! With `TRACKERSHARK_WIRESHARK_ROOT=<dir>` the tools run inside that root file system (a Debian
//! root with another Wireshark release, see `scripts/wireshark-roots.sh`) through `chroot`: the
//! homes live in `<dir>/tmp`, the CLI and modules are copied to `<dir>/opt/trackershark`.

use std::fs;
use std::os::unix::fs::{chown, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is inside the repo").to_path_buf()
}

pub fn samples_dir() -> PathBuf {
    repo_root().join("tests/samples")
}

/// Tracee's real output, kept beside the repository (`../shared/corpus`).
pub fn corpus_dir() -> PathBuf {
    std::env::var_os("TRACKERSHARK_CORPUS").map(PathBuf::from).unwrap_or_else(|| repo_root().join("../shared/corpus"))
}

pub fn bin_dir() -> PathBuf {
    std::env::var_os("TRACKERSHARK_BIN_DIR").map(PathBuf::from).unwrap_or_else(|| repo_root().join("target/release"))
}

/// The root file system the tools run in, if not this machine's own.
pub fn wireshark_root() -> Option<PathBuf> {
    std::env::var_os("TRACKERSHARK_WIRESHARK_ROOT").filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// Where the CLI and modules are, as the tools see them.
fn tools_bin_dir() -> PathBuf {
    static COPIED: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    match wireshark_root() {
        None => bin_dir(),
        Some(root) => COPIED
            .get_or_init(|| {
                let dst = root.join("opt/trackershark");
                fs::create_dir_all(&dst).unwrap();
                for f in ["trackershark", "trackershark_lua52.so", "trackershark_lua54.so"] {
                    fs::copy(bin_dir().join(f), dst.join(f)).unwrap_or_else(|e| panic!("copy {f} into the root: {e}"));
                }
                let enrichers = dst.join("enrichers");
                let _ = fs::remove_dir_all(&enrichers); // no plugin left over from an older build
                fs::create_dir_all(&enrichers).unwrap();
                for e in fs::read_dir(bin_dir().join("enrichers")).expect("enrichers built by scripts/build.sh") {
                    let src = e.unwrap().path();
                    fs::copy(&src, enrichers.join(src.file_name().unwrap())).unwrap();
                }
                PathBuf::from("/opt/trackershark")
            })
            .clone(),
    }
}

fn is_root() -> bool {
    fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

const NOBODY: u32 = 65534;

/// A home directory with the plugin installed, owned by the user the tools run as.
pub struct Home {
    pub dir: PathBuf,
}

impl Home {
    /// A home with the plugin installed without the default enrichers (so the engine's own output
    /// is what the tests see).
    pub fn new() -> Home {
        Home::install(&["--without-enrichers"])
    }

    /// A home with the plugin installed as users get it: default enrichers included.
    pub fn with_default_enrichers() -> Home {
        Home::install(&[])
    }

    fn install(options: &[&str]) -> Home {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let cli = bin_dir().join("trackershark");
        assert!(
            cli.is_file() && bin_dir().join("trackershark_lua52.so").is_file(),
            "{} and the engine modules are missing: run scripts/build.sh first",
            cli.display()
        );
        let tmp = wireshark_root().map(|r| r.join("tmp")).unwrap_or_else(std::env::temp_dir);
        let dir =
            tmp.join(format!("trackershark-test-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst)));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        // tools run as `nobody` need their own copies of the binaries they execute
        let home = Home { dir };
        home.give_away(&home.dir);
        let bin_dir = home.bin_dir();
        let mut args = vec!["install", "--module-dir", &bin_dir];
        args.extend_from_slice(options);
        let out = home.cli(&args);
        assert!(out.status.success(), "install failed: {}{}", stdout(&out), stderr(&out));
        home
    }

    fn give_away(&self, path: &Path) {
        if is_root() {
            chown(path, Some(NOBODY), Some(NOBODY)).unwrap();
        }
    }

    /// Copies a file into the home (readable by the tools' user) and returns its path.
    pub fn add(&self, src: &Path) -> PathBuf {
        let dst = self.dir.join(src.file_name().unwrap());
        fs::copy(src, &dst).unwrap_or_else(|e| panic!("copy {}: {e}", src.display()));
        self.give_away(&dst);
        dst
    }

    /// Copies a file into a directory of the home (created if needed, readable by the tools' user).
    pub fn add_into(&self, src: &Path, dir: &Path) -> PathBuf {
        if !dir.is_dir() {
            fs::create_dir_all(dir).unwrap();
            self.give_away(dir);
        }
        let dst = dir.join(src.file_name().unwrap());
        fs::copy(src, &dst).unwrap_or_else(|e| panic!("copy {}: {e}", src.display()));
        self.give_away(&dst);
        dst
    }

    pub fn add_sample(&self, name: &str) -> PathBuf {
        self.add(&samples_dir().join(name))
    }

    /// Writes a file into the home.
    pub fn write(&self, name: &str, content: &[u8]) -> PathBuf {
        let dst = self.dir.join(name);
        fs::write(&dst, content).unwrap();
        self.give_away(&dst);
        dst
    }

    /// Runs a program in the home as the unprivileged user.
    pub fn run(&self, program: &str, args: &[&str]) -> Output {
        self.run_with_env(program, args, &[])
    }

    /// Like [`Home::run`], with extra environment variables.
    pub fn run_with_env(&self, program: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
        let program = self.visible(Path::new(program));
        let mut cmd = match wireshark_root() {
            Some(root) => {
                // chroot starts in "/": env -C enters the home first
                let mut c = Command::new("chroot");
                c.arg(&root).args(["env", "-C"]).arg(self.visible(&self.dir));
                c.args(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]).arg(&program);
                c
            }
            None if is_root() => {
                let mut c = Command::new("setpriv");
                c.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]).arg(&program);
                c
            }
            None => Command::new(&program),
        };
        cmd.args(args)
            .current_dir(&self.dir)
            .env_clear()
            .env("HOME", self.visible(&self.dir))
            .env("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
            .env("LANG", "C.UTF-8")
            .env("TZ", "UTC")
            .envs(env.iter().copied());
        cmd.output().unwrap_or_else(|e| panic!("cannot run {program}: {e}"))
    }

    /// Runs tshark and returns its standard output, failing the test on a non-zero exit or on a
    /// Lua error reported on standard error.
    pub fn tshark(&self, args: &[&str]) -> String {
        let out = self.run("tshark", args);
        let err = stderr(&out);
        assert!(out.status.success(), "tshark {args:?} failed: {err}");
        assert!(!err.contains("Lua: Error") && !err.contains("Lua Error"), "tshark {args:?}: {err}");
        stdout(&out)
    }

    /// Runs the trackershark CLI.
    pub fn cli(&self, args: &[&str]) -> Output {
        self.run(&tools_bin_dir().join("trackershark").to_string_lossy(), args)
    }

    /// The directory holding the CLI and the engine modules, as the tools see it.
    pub fn bin_dir(&self) -> String {
        tools_bin_dir().to_string_lossy().into_owned()
    }

    /// A path of this machine as the tools see it (inside the Wireshark root, if any).
    pub fn visible(&self, path: &Path) -> String {
        match wireshark_root() {
            Some(root) => match path.strip_prefix(&root) {
                Ok(inner) => format!("/{}", inner.display()),
                Err(_) => path.to_string_lossy().into_owned(),
            },
            None => path.to_string_lossy().into_owned(),
        }
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.join(name).to_string_lossy().into_owned()
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `-T fields` output as rows of columns.
pub fn rows(text: &str) -> Vec<Vec<String>> {
    text.lines().map(|l| l.split('\t').map(str::to_string).collect()).collect()
}

/// Absolute times as `-T fields` prints them, in one form: Wireshark ≤ 4.4 writes
/// `Jul  8, 2022 14:49:37.566819000 UTC`, 4.6 writes `2022-07-08T14:49:37.566819000Z`.
pub fn iso_time(text: &str) -> String {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.as_slice() {
        [month, day, year, clock, "UTC"] => match MONTHS.iter().position(|m| m == month) {
            Some(m) => {
                format!("{}-{:02}-{:02}T{}Z", year, m + 1, day.trim_end_matches(',').parse::<u32>().unwrap_or(0), clock)
            }
            None => text.to_string(),
        },
        _ => text.to_string(),
    }
}

/// Deterministic property-based fuzzing on stable Rust, shared by the fuzz tests of the engine and
/// of the live capture: CI runs a short slice; `scripts/fuzz.sh` runs longer.
pub mod fuzz {
    use std::io::Write as _;

    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

    /// The same cases on every run: as many as `PROPTEST_CASES` says (else `default_cases`), from
    /// the seed `TRACKERSHARK_FUZZ_SEED` (else 7).
    pub fn runner(default_cases: u32) -> TestRunner {
        let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(default_cases);
        let seed = std::env::var("TRACKERSHARK_FUZZ_SEED").ok().and_then(|s| s.parse::<u64>().ok()).unwrap_or(7);
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&seed.to_le_bytes());
        TestRunner::new_with_rng(
            Config { cases, failure_persistence: None, ..Config::default() },
            TestRng::from_seed(RngAlgorithm::ChaCha, &key),
        )
    }

    /// Adds a property that held to target/reports/fuzz.md (scripts/test.sh puts it in
    /// tests/ROBUSTNESS.md).
    pub fn report(property: &str, cases: u32) {
        let dir = super::repo_root().join("target/reports");
        std::fs::create_dir_all(&dir).unwrap();
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("fuzz.md")).unwrap();
        writeln!(f, "| {property} | {cases} | 0 |").unwrap();
    }
}
