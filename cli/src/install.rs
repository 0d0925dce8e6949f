//! `trackershark install` / `uninstall`: put the plugin and the engine module for the right Lua ABI
//! into the Wireshark directories that the installed Wireshark itself reports (`tshark -G folders`).

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Args;

use crate::{io_err, CliError};

/// The plugin script, built into this binary so the installer needs nothing else but the module.
const PLUGIN_LUA: &str = include_str!("../../lua/plugin/tracker.lua");
/// Directory created inside Wireshark's Lua plugin directory.
const PLUGIN_DIR_NAME: &str = "trackershark";
/// Lua ABIs we build modules for; file names in the module directory are `trackershark_lua<abi>.so`.
const ABIS: [&str; 2] = ["52", "54"];

#[derive(Args)]
pub struct InstallArgs {
    /// Install into Wireshark's global plugin directory (for all users) instead of your own.
    #[arg(long)]
    system: bool,
    /// Show what would be done without changing anything.
    #[arg(long)]
    dry_run: bool,
    /// The tshark to ask for its version and directories.
    #[arg(long, default_value = "tshark")]
    tshark: String,
    /// Where the built engine modules (`trackershark_lua52.so`, `trackershark_lua54.so`) are.
    /// Default: $TRACKERSHARK_MODULE_DIR, then next to this program.
    #[arg(long)]
    module_dir: Option<PathBuf>,
    /// Install into this plugin directory instead of the one Wireshark reports.
    #[arg(long)]
    plugin_dir: Option<PathBuf>,
    /// Leave out the default enrichers and signature renderer (WASM plugins in `enrichers/`).
    #[arg(long)]
    without_enrichers: bool,
}

/// The directory of the default enrichers (built by scripts/build.sh), next to the modules.
const ENRICHERS_DIR: &str = "enrichers";
const RULES_FILE: &str = "rules.toml";

/// What the installed Wireshark says about itself.
#[derive(Debug, Default, PartialEq)]
pub struct WiresharkInfo {
    pub version: String,
    /// "52" or "54"
    pub lua_abi: Option<String>,
    pub personal_lua_plugins: Option<PathBuf>,
    pub global_lua_plugins: Option<PathBuf>,
    pub global_config: Option<PathBuf>,
}

impl WiresharkInfo {
    pub fn detect(tshark: &str) -> Result<WiresharkInfo, CliError> {
        let version = run(tshark, &["-v"])?;
        let folders = run(tshark, &["-G", "folders"]).unwrap_or_default();
        Ok(WiresharkInfo::parse(&version, &folders))
    }

    /// Parses `tshark -v` and `tshark -G folders` output.
    pub fn parse(version: &str, folders: &str) -> WiresharkInfo {
        let mut info = WiresharkInfo::default();
        let first = version.lines().next().unwrap_or("");
        info.version = first
            .split_whitespace()
            .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()) && w.contains('.'))
            .unwrap_or("unknown")
            .trim_end_matches('.')
            .to_string();
        // "with Lua 5.2.4" (4.0–4.4, wrapped anywhere) or "+Lua 5.4.9" (4.6); "without Lua" or
        // "-Lua" when built without it
        let flat = version.split_whitespace().collect::<Vec<_>>().join(" ");
        let found = ["with Lua ", "+Lua "].iter().find_map(|marker| flat.find(marker).map(|p| p + marker.len()));
        if let Some(pos) = found {
            let v = &flat[pos..];
            let mut parts = v.split(|c: char| !c.is_ascii_digit()).filter(|p| !p.is_empty());
            if let (Some(major), Some(minor)) = (parts.next(), parts.next()) {
                info.lua_abi = Some(format!("{major}{minor}"));
            }
        }
        for line in folders.lines() {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let value = PathBuf::from(value.trim());
            match key.trim() {
                "Personal Lua Plugins" => info.personal_lua_plugins = Some(value),
                "Global Lua Plugins" => info.global_lua_plugins = Some(value),
                "Global configuration" => info.global_config = Some(value),
                _ => {}
            }
        }
        info
    }
}

fn run(program: &str, args: &[&str]) -> Result<String, CliError> {
    let out = Command::new(program).args(args).output().map_err(|e| {
        CliError::Message(format!(
            "cannot run `{program}` ({e}). Install Wireshark's tshark (Debian/Ubuntu: `apt-get install tshark`) or pass --tshark PATH"
        ))
    })?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

fn is_root() -> bool {
    fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

fn target_dir(args: &InstallArgs, ws: &WiresharkInfo) -> Result<PathBuf, CliError> {
    if let Some(dir) = &args.plugin_dir {
        return Ok(dir.join(PLUGIN_DIR_NAME));
    }
    let base = if args.system {
        ws.global_lua_plugins.clone()
    } else {
        ws.personal_lua_plugins
            .clone()
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/lib/wireshark/plugins")))
    };
    base.map(|b| b.join(PLUGIN_DIR_NAME))
        .ok_or_else(|| CliError::Message("Wireshark did not report its Lua plugin directory".into()))
}

fn module_dirs(args: &InstallArgs) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(d) = &args.module_dir {
        dirs.push(d.clone());
    }
    if let Some(d) = std::env::var_os("TRACKERSHARK_MODULE_DIR") {
        dirs.push(PathBuf::from(d));
    }
    if let Some(exe_dir) = std::env::current_exe().ok().and_then(|e| e.parent().map(Path::to_path_buf)) {
        dirs.push(exe_dir.join("../lib/trackershark"));
        dirs.push(exe_dir);
    }
    dirs
}

fn find_module(dirs: &[PathBuf], abi: &str) -> Option<PathBuf> {
    dirs.iter().map(|d| d.join(format!("trackershark_lua{abi}.so"))).find(|p| p.is_file())
}

pub fn install(args: &InstallArgs) -> Result<(), CliError> {
    let ws = WiresharkInfo::detect(&args.tshark)?;
    let abi = ws.lua_abi.clone().ok_or_else(|| {
        CliError::Message(format!("Wireshark {} was built without Lua support; the plugin needs Lua", ws.version))
    })?;
    let dirs = module_dirs(args);
    let modules: Vec<(&str, PathBuf)> = ABIS.iter().filter_map(|a| find_module(&dirs, a).map(|p| (*a, p))).collect();
    if !modules.iter().any(|(a, _)| *a == abi) {
        return Err(CliError::Message(format!(
            "no engine module for Lua {}.{} (Wireshark {}) found in {}; build it with scripts/build.sh",
            &abi[..1],
            &abi[1..],
            ws.version,
            dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")
        )));
    }
    let dest = target_dir(args, &ws)?;
    println!("Wireshark {} (Lua {}.{}) → {}", ws.version, &abi[..1], &abi[1..], dest.display());
    if args.dry_run {
        println!("dry run: would write tracker.lua and {} module(s)", modules.len());
    } else {
        fs::create_dir_all(&dest).map_err(io_err(&dest))?;
        let script = dest.join("tracker.lua");
        fs::write(&script, PLUGIN_LUA).map_err(io_err(&script))?;
        // Every ABI we have, so the plugin keeps working when Wireshark is upgraded across 4.2 → 4.4.
        for (a, src) in &modules {
            let dir = dest.join(format!("lua{a}"));
            fs::create_dir_all(&dir).map_err(io_err(&dir))?;
            let target = dir.join("trackershark_engine.so");
            // write a new file and rename, so a running Wireshark keeps its mapped copy intact
            let tmp = dir.join(".trackershark_engine.so.new");
            fs::copy(src, &tmp).map_err(io_err(&tmp))?;
            fs::rename(&tmp, &target).map_err(io_err(&target))?;
        }
        println!(
            "installed tracker.lua and the engine module for Lua {}",
            modules.iter().map(|(a, _)| format!("{}.{}", &a[..1], &a[1..])).collect::<Vec<_>>().join(" and ")
        );
    }
    if !args.without_enrichers {
        install_enrichers(&dirs, &dest.join(ENRICHERS_DIR), args.dry_run)?;
    }
    if is_root() && !args.system && args.plugin_dir.is_none() {
        println!("{}", root_advice(&ws));
    }
    println!("Open a Tracker JSON log with `tshark -r events.json` or `wireshark events.json`.");
    Ok(())
}

/// Copies the default plugins and, unless the user changed theirs, the rules file. Plugins are
/// replaced by rename, so a running Wireshark picks them up at its next check for changes.
fn install_enrichers(module_dirs: &[PathBuf], dest: &Path, dry_run: bool) -> Result<(), CliError> {
    let Some(src) = module_dirs.iter().map(|d| d.join(ENRICHERS_DIR)).find(|d| d.join(RULES_FILE).is_file()) else {
        return Err(CliError::Message(format!(
            "the default enrichers ({ENRICHERS_DIR}/{RULES_FILE}) were not found next to the engine modules; \
             build them with scripts/build.sh, or pass --without-enrichers"
        )));
    };
    let mut plugins: Vec<PathBuf> = fs::read_dir(&src)
        .map_err(io_err(&src))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
        .collect();
    plugins.sort();
    if dry_run {
        println!("dry run: would write {} enricher plugin(s) and {RULES_FILE} into {}", plugins.len(), dest.display());
        return Ok(());
    }
    fs::create_dir_all(dest).map_err(io_err(dest))?;
    for p in &plugins {
        let target = dest.join(p.file_name().unwrap_or_default());
        let tmp = dest.join(format!(".{}.new", p.file_name().unwrap_or_default().to_string_lossy()));
        fs::copy(p, &tmp).map_err(io_err(&tmp))?;
        fs::rename(&tmp, &target).map_err(io_err(&target))?;
    }
    let rules = fs::read(src.join(RULES_FILE)).map_err(io_err(&src.join(RULES_FILE)))?;
    let target = dest.join(RULES_FILE);
    match fs::read(&target) {
        Ok(existing) if existing != rules => {
            // the user's own rules stay; the new defaults are put beside them
            let beside = dest.join(format!("{RULES_FILE}.default"));
            fs::write(&beside, &rules).map_err(io_err(&beside))?;
            println!("kept your {}; the default rules are in {}", target.display(), beside.display());
        }
        _ => fs::write(&target, &rules).map_err(io_err(&target))?,
    }
    println!("installed {} enricher plugin(s) and {RULES_FILE} in {}", plugins.len(), dest.display());
    Ok(())
}

/// Wireshark skips personal Lua plugins for root unless its init.lua says otherwise.
fn root_advice(ws: &WiresharkInfo) -> String {
    let init = ws.global_config.as_ref().map(|d| d.join("init.lua"));
    let allowed = init.as_ref().and_then(|p| fs::read_to_string(p).ok()).is_some_and(|text| {
        text.lines().any(|l| {
            let l = l.trim();
            !l.starts_with("--") && l.replace(' ', "").starts_with("run_user_scripts_when_superuser=true")
        })
    });
    if allowed {
        format!(
            "note: you are root. This Wireshark's {} sets run_user_scripts_when_superuser = true, so it loads \
             personal plugins for root (with a warning). Running Wireshark as a normal user is safer: install \
             as that user, or use --system.",
            init.map(|p| p.display().to_string()).unwrap_or_default()
        )
    } else {
        "warning: you are root, and this Wireshark skips personal Lua plugins when run as root. Run \
         `trackershark install` as the user who runs Wireshark, or `trackershark install --system` for all users."
            .to_string()
    }
}

/// The rules file `install` ships (the same bytes scripts/build.sh puts beside the plugins).
const DEFAULT_RULES: &str = include_str!("../../enrichers-wasm/defaults/rules.toml");

/// Files in `enrichers/` a user may have added or changed: kept by `uninstall`. The default plugins
/// and an unchanged default rules file are ours to remove.
fn users_enricher_files(dir: &Path) -> Vec<PathBuf> {
    let ours = |p: &Path| {
        let name = p.file_name().unwrap_or_default().to_string_lossy().into_owned();
        match name.as_str() {
            RULES_FILE => fs::read_to_string(p).is_ok_and(|t| t == DEFAULT_RULES),
            "rules.toml.default" => true,
            n => n.ends_with(".wasm") && DEFAULT_RULES.contains(&format!("wasm = \"{n}\"")),
        }
    };
    let mut kept: Vec<PathBuf> =
        fs::read_dir(dir).into_iter().flatten().filter_map(|e| e.ok().map(|e| e.path())).filter(|p| !ours(p)).collect();
    kept.sort();
    kept
}

pub fn uninstall(args: &InstallArgs) -> Result<(), CliError> {
    let ws = WiresharkInfo::detect(&args.tshark).unwrap_or_default();
    let dest = target_dir(args, &ws)?;
    if !dest.join("tracker.lua").exists() {
        println!("nothing installed in {}", dest.display());
        return Ok(());
    }
    let enrichers = dest.join(ENRICHERS_DIR);
    let kept = users_enricher_files(&enrichers);
    if args.dry_run {
        println!("dry run: would remove {}", dest.display());
        if !kept.is_empty() {
            println!("dry run: would keep your files in {}", enrichers.display());
        }
        return Ok(());
    }
    if kept.is_empty() {
        fs::remove_dir_all(&dest).map_err(io_err(&dest))?;
        println!("removed {}", dest.display());
        return Ok(());
    }
    // the plugin goes; the analyst's own rules and plugins stay where they were
    for entry in fs::read_dir(&dest).map_err(io_err(&dest))?.filter_map(Result::ok) {
        let path = entry.path();
        if path == enrichers {
            continue;
        }
        let removed = if path.is_dir() { fs::remove_dir_all(&path) } else { fs::remove_file(&path) };
        removed.map_err(io_err(&path))?;
    }
    for entry in fs::read_dir(&enrichers).map_err(io_err(&enrichers))?.filter_map(Result::ok) {
        let path = entry.path();
        if !kept.contains(&path) {
            let removed = if path.is_dir() { fs::remove_dir_all(&path) } else { fs::remove_file(&path) };
            removed.map_err(io_err(&path))?;
        }
    }
    println!("removed the plugin from {}", dest.display());
    println!(
        "kept your own enricher files in {}: {}",
        enrichers.display(),
        kept.iter().map(|p| p.file_name().unwrap_or_default().to_string_lossy()).collect::<Vec<_>>().join(", ")
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_wireshark_40_and_44_output() {
        let v40 = "TShark (Wireshark) 4.0.17 (Git v4.0.17 packaged as 4.0.17-0+deb12u3).\n\nCompiled (64-bit) using GCC 12.2.0, with GLib 2.74.6, with zlib 1.2.13, with libnl 3, with Lua\n5.2.4, with GnuTLS";
        let folders = "Temp:\t\t\t/tmp\nPersonal configuration:\t/home/u/.config/wireshark\nGlobal configuration:\t/usr/share/wireshark\nPersonal Lua Plugins:\t/home/u/.local/lib/wireshark/plugins\nGlobal Lua Plugins:\t/usr/lib/x86_64-linux-gnu/wireshark/plugins\n";
        let info = WiresharkInfo::parse(v40, folders);
        assert_eq!(info.version, "4.0.17");
        assert_eq!(info.lua_abi.as_deref(), Some("52"));
        assert_eq!(info.personal_lua_plugins, Some(PathBuf::from("/home/u/.local/lib/wireshark/plugins")));
        assert_eq!(info.global_config, Some(PathBuf::from("/usr/share/wireshark")));
        let v44 = "TShark (Wireshark) 4.4.18.\n\nCompiled (64-bit) using GCC 14.2.0, with GLib 2.84.1, with Lua 5.4.7, with GnuTLS";
        assert_eq!(WiresharkInfo::parse(v44, "").lua_abi.as_deref(), Some("54"));
        let v46 = "TShark (Wireshark) 4.6.9.\n\nCompile-time info:\n With:\n  +libxml2 2.15.4              +zlib 1.3.2\n  +Lua 5.4.9                   +Zstandard 1.5.7\n";
        let info = WiresharkInfo::parse(v46, "");
        assert_eq!((info.version.as_str(), info.lua_abi.as_deref()), ("4.6.9", Some("54")));
        assert_eq!(WiresharkInfo::parse("TShark (Wireshark) 4.6.0.\n Without:\n  -Lua\n", "").lua_abi, None);
        assert_eq!(WiresharkInfo::parse("TShark (Wireshark) 4.2.0.\nwithout Lua,", "").lua_abi, None);
    }

    #[test]
    fn root_advice_follows_the_builds_init_lua() {
        let dir = std::env::temp_dir().join(format!("ts-init-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let ws = WiresharkInfo { global_config: Some(dir.clone()), ..Default::default() };
        fs::write(
            dir.join("init.lua"),
            "-- run_user_scripts_when_superuser = true\nrun_user_scripts_when_superuser = false\n",
        )
        .unwrap();
        assert!(root_advice(&ws).starts_with("warning: you are root, and this Wireshark skips personal Lua plugins"));
        fs::write(dir.join("init.lua"), "run_user_scripts_when_superuser = true\n").unwrap();
        assert!(root_advice(&ws).contains("sets run_user_scripts_when_superuser = true"));
        fs::remove_dir_all(&dir).unwrap();
    }
}
