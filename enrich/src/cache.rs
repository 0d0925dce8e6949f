//! Compiled plugins cached on disk, keyed by a SHA-256 of the module's bytes and of what makes
//! compiled code fit this host (wasmtime's version and engine settings). Loading a cached plugin
//! takes milliseconds where compiling takes a noticeable fraction of a second per plugin.
//!
//! The cache directory belongs to the user running Wireshark and only this host writes it; an
//! entry that does not load (a truncated file, another wasmtime) is compiled again and replaced.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::{Engine, Module};

/// Entries kept; beyond this the least recently used are removed.
pub const MAX_ENTRIES: usize = 64;

/// Where compiled modules are kept, if anywhere.
#[derive(Clone, Debug)]
pub struct ModuleCache {
    dir: Option<PathBuf>,
}

/// How a module was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Compiled,
    Cached,
}

impl ModuleCache {
    /// `$TRACKERSHARK_CACHE_DIR`, else `$XDG_CACHE_HOME/trackershark/wasm`, else
    /// `~/.cache/trackershark/wasm`.
    pub fn default_location() -> ModuleCache {
        let env = |k| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
        let dir = env("TRACKERSHARK_CACHE_DIR")
            .or_else(|| env("XDG_CACHE_HOME").map(|d| d.join("trackershark/wasm")))
            .or_else(|| env("HOME").map(|d| d.join(".cache/trackershark/wasm")));
        ModuleCache { dir }
    }

    pub fn at(dir: &Path) -> ModuleCache {
        ModuleCache { dir: Some(dir.to_path_buf()) }
    }

    pub fn disabled() -> ModuleCache {
        ModuleCache { dir: None }
    }

    /// The file a module's compiled code is kept in.
    pub fn entry(&self, engine: &Engine, wasm: &[u8]) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        let mut compat = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut compat);
        let mut h = Sha256::new();
        h.update(b"trackershark-module-cache-1\0");
        h.update(compat.finish().to_le_bytes());
        h.update(wasm);
        let key: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Some(dir.join(format!("{key}.cwasm")))
    }

    /// The compiled module: from the cache when a good entry exists, else compiled (and stored).
    pub fn load(&self, engine: &Engine, wasm: &[u8]) -> Result<(Module, Origin), wasmtime::Error> {
        let entry = self.entry(engine, wasm);
        // read, not mapped: a file truncated by someone else later cannot fault a mapped module
        if let Some(bytes) = entry.as_ref().and_then(|p| std::fs::read(p).ok()) {
            // SAFETY: entries are written by `store` below from modules this host compiled, in a
            // directory of the user's own; wasmtime checks the format and compatibility on load.
            if let Ok(module) = unsafe { Module::deserialize(engine, &bytes) } {
                // mark as recently used, for pruning
                if let Some(Ok(f)) = entry.as_ref().map(|p| std::fs::File::options().append(true).open(p)) {
                    let _ = f.set_modified(std::time::SystemTime::now());
                }
                return Ok((module, Origin::Cached));
            }
        }
        let module = Module::new(engine, wasm)?;
        if let Some(path) = entry {
            store(&module, &path);
        }
        Ok((module, Origin::Compiled))
    }
}

/// Writes an entry atomically (a temporary file renamed into place); failure only costs speed.
fn store(module: &Module, path: &Path) {
    let Ok(bytes) = module.serialize() else { return };
    let Some(dir) = path.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    if std::fs::write(&tmp, bytes).is_ok() && std::fs::rename(&tmp, path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    prune(dir);
}

/// Removes the least recently used entries beyond [`MAX_ENTRIES`].
fn prune(dir: &Path) {
    let Ok(read) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<(std::time::SystemTime, PathBuf)> = read
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "cwasm"))
        .filter_map(|p| Some((std::fs::metadata(&p).and_then(|m| m.modified()).ok()?, p)))
        .collect();
    if entries.len() <= MAX_ENTRIES {
        return;
    }
    entries.sort();
    for (_, p) in &entries[..entries.len() - MAX_ENTRIES] {
        let _ = std::fs::remove_file(p);
    }
}
