//! The plugin host: runs enrichers and signature renderers — WebAssembly core modules following
//! `enrichers-wasm/ABI.md` — in a sandbox: no host access beyond the ABI's four imports, a fuel
//! budget per call, capped memory, bounded output, and a plugin that keeps faulting is disabled.

pub mod cache;
pub mod rules;
pub mod session;

use std::sync::OnceLock;

pub use cache::{ModuleCache, Origin};

use wasmtime::{
    Caller, Config, Engine, InstancePre, Linker, Memory, Module, Store, StoreLimits, StoreLimitsBuilder, Trap,
    TypedFunc,
};

/// The ABI version this host speaks.
pub const ABI_VERSION: i32 = 1;
const IMPORT_MODULE: &str = "trackershark";

/// Bounds on what one plugin call may use.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Fuel per call (about one unit per WebAssembly instruction).
    pub fuel: u64,
    pub memory_bytes: usize,
    /// Bytes of field values and Info text per call.
    pub output_bytes: usize,
    pub output_fields: usize,
    /// Faults in a row after which the plugin is disabled.
    pub max_faults: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { fuel: 10_000_000, memory_bytes: 16 << 20, output_bytes: 64 << 10, output_fields: 256, max_faults: 5 }
    }
}

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum PluginError {
    #[error("cannot load the module: {0}")]
    Load(String),
    #[error("the module speaks ABI version {0}; this host speaks version {ABI_VERSION}")]
    AbiVersion(i32),
    #[error("the module does not export `{0}`")]
    MissingExport(&'static str),
    #[error("the call ran out of fuel (instruction budget {0})")]
    OutOfFuel(u64),
    #[error("the call trapped: {0}")]
    Trap(String),
    #[error("the call exceeded a bound: {0}")]
    Bound(String),
    #[error("the plugin reported failure {0}")]
    Reported(i32),
    #[error("the plugin reported: {0}")]
    Failed(String),
    #[error("describe declared other fields than at load")]
    FieldsChanged,
    #[error("disabled after {faults} faults in a row (last: {last})")]
    Disabled { faults: u32, last: String },
}

/// A field a plugin declared at load: `tracker.enrich.<abbrev>`, shown as `[<name>]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeclaredField {
    pub abbrev: String,
    pub name: String,
}

/// What one call produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Output {
    /// (index into the declared fields, value)
    pub fields: Vec<(usize, String)>,
    pub info: Option<String>,
    pub logs: Vec<(i32, String)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Describe,
    Enrich,
}

struct HostState {
    store_limits: StoreLimits,
    limits: Limits,
    phase: Phase,
    declared: Vec<DeclaredField>,
    out: Output,
    out_bytes: usize,
    /// Why the call must fail, when a host function refused something.
    overstep: Option<String>,
}

impl HostState {
    fn new(limits: &Limits) -> HostState {
        HostState {
            store_limits: StoreLimitsBuilder::new().memory_size(limits.memory_bytes).trap_on_grow_failure(true).build(),
            limits: limits.clone(),
            phase: Phase::Describe,
            declared: Vec::new(),
            out: Output::default(),
            out_bytes: 0,
            overstep: None,
        }
    }

    /// Counts output against the bounds; false (and the reason kept) when over.
    fn charge(&mut self, bytes: usize) -> bool {
        self.out_bytes += bytes;
        let fields = self.out.fields.len();
        if self.out_bytes > self.limits.output_bytes {
            self.overstep = Some(format!("more than {} bytes of output", self.limits.output_bytes));
        } else if fields >= self.limits.output_fields {
            self.overstep = Some(format!("more than {} fields", self.limits.output_fields));
        }
        self.overstep.is_none()
    }
}

/// Reads guest memory `[ptr, ptr+len)` as UTF-8 (lossy), or None when out of bounds.
fn read_text(caller: &mut Caller<'_, HostState>, ptr: i32, len: i32) -> Option<String> {
    let memory = caller.get_export("memory")?.into_memory()?;
    let (start, len) = (usize::try_from(ptr).ok()?, usize::try_from(len).ok()?);
    let bytes = memory.data(&caller).get(start..start.checked_add(len)?)?;
    Some(String::from_utf8_lossy(bytes).into_owned())
}

fn valid_abbrev(a: &str) -> bool {
    !a.is_empty() && a.len() <= 64 && a.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn linker(engine: &Engine) -> Result<Linker<HostState>, PluginError> {
    let mut l = Linker::new(engine);
    let err = |e: wasmtime::Error| PluginError::Load(e.to_string());
    l.func_wrap(
        IMPORT_MODULE,
        "declare_field",
        |mut c: Caller<'_, HostState>, ap: i32, al: i32, np: i32, nl: i32| -> i32 {
            if c.data().phase != Phase::Describe || c.data().declared.len() >= c.data().limits.output_fields {
                return -1;
            }
            match (read_text(&mut c, ap, al), read_text(&mut c, np, nl)) {
                (Some(abbrev), Some(name)) if valid_abbrev(&abbrev) && !name.is_empty() && name.len() <= 128 => {
                    let declared = &mut c.data_mut().declared;
                    if declared.iter().any(|d| d.abbrev == abbrev) {
                        return -1;
                    }
                    declared.push(DeclaredField { abbrev, name });
                    declared.len() as i32 - 1
                }
                _ => -1,
            }
        },
    )
    .map_err(err)?;
    l.func_wrap(IMPORT_MODULE, "add_field", |mut c: Caller<'_, HostState>, index: i32, vp: i32, vl: i32| -> i32 {
        let known = usize::try_from(index).ok().filter(|i| *i < c.data().declared.len());
        match (c.data().phase, known, read_text(&mut c, vp, vl)) {
            (Phase::Enrich, Some(i), Some(value)) => {
                if !c.data_mut().charge(value.len()) {
                    return -1;
                }
                c.data_mut().out.fields.push((i, value));
                0
            }
            _ => -1,
        }
    })
    .map_err(err)?;
    l.func_wrap(IMPORT_MODULE, "set_info", |mut c: Caller<'_, HostState>, p: i32, len: i32| -> i32 {
        match (c.data().phase, read_text(&mut c, p, len)) {
            (Phase::Enrich, Some(text)) => {
                if !c.data_mut().charge(text.len()) {
                    return -1;
                }
                c.data_mut().out.info = Some(text);
                0
            }
            _ => -1,
        }
    })
    .map_err(err)?;
    l.func_wrap(IMPORT_MODULE, "log", |mut c: Caller<'_, HostState>, level: i32, p: i32, len: i32| {
        if let Some(text) = read_text(&mut c, p, len) {
            if c.data_mut().charge(text.len()) {
                c.data_mut().out.logs.push((level, text));
            }
        }
    })
    .map_err(err)?;
    Ok(l)
}

/// The wasmtime engine configured for plugins (fuel metering on), shared by every plugin.
pub fn engine() -> Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let mut config = Config::new();
            config.consume_fuel(true);
            Engine::new(&config).expect("a fuel-metered engine is a supported configuration")
        })
        .clone()
}

struct Live {
    store: Store<HostState>,
    memory: Memory,
    alloc: TypedFunc<i32, i32>,
    enrich: TypedFunc<(i32, i32), i32>,
}

/// One loaded plugin.
pub struct Plugin {
    pub name: String,
    engine: Engine,
    pre: InstancePre<HostState>,
    limits: Limits,
    fields: Vec<DeclaredField>,
    live: Option<Live>,
    faults: u32,
    disabled: Option<PluginError>,
    /// Whether the compiled code came from the on-disk cache.
    pub origin: Origin,
}

impl Plugin {
    /// Compiles and checks a module (binary or WAT text), and collects the fields it declares.
    pub fn load(engine: &Engine, name: &str, wasm: &[u8], limits: Limits) -> Result<Plugin, PluginError> {
        Plugin::load_cached(engine, name, wasm, limits, &ModuleCache::disabled())
    }

    /// Like `load`, taking the compiled code from `cache` when it holds this module.
    pub fn load_cached(
        engine: &Engine,
        name: &str,
        wasm: &[u8],
        limits: Limits,
        cache: &ModuleCache,
    ) -> Result<Plugin, PluginError> {
        let (module, origin): (Module, Origin) =
            cache.load(engine, wasm).map_err(|e| PluginError::Load(format!("{e:#}")))?;
        let pre = linker(engine)?.instantiate_pre(&module).map_err(|e| PluginError::Load(format!("{e:#}")))?;
        let mut plugin = Plugin {
            name: name.to_string(),
            engine: engine.clone(),
            pre,
            limits,
            fields: Vec::new(),
            live: None,
            faults: 0,
            disabled: None,
            origin,
        };
        let live = plugin.instantiate()?;
        plugin.fields = live.store.data().declared.clone();
        plugin.live = Some(live);
        Ok(plugin)
    }

    pub fn fields(&self) -> &[DeclaredField] {
        &self.fields
    }

    /// Why the plugin no longer runs, if it was disabled.
    pub fn disabled(&self) -> Option<&PluginError> {
        self.disabled.as_ref()
    }

    fn instantiate(&self) -> Result<Live, PluginError> {
        let mut store = Store::new(&self.engine, HostState::new(&self.limits));
        store.limiter(|s| &mut s.store_limits);
        store.set_fuel(self.limits.fuel).map_err(|e| PluginError::Load(e.to_string()))?;
        let instance = self.pre.instantiate(&mut store).map_err(|e| classify(e, &self.limits))?;
        let memory = instance.get_memory(&mut store, "memory").ok_or(PluginError::MissingExport("memory"))?;
        let version = instance
            .get_typed_func::<(), i32>(&mut store, "trackershark_abi_version")
            .map_err(|_| PluginError::MissingExport("trackershark_abi_version"))?;
        let alloc = instance.get_typed_func(&mut store, "alloc").map_err(|_| PluginError::MissingExport("alloc"))?;
        let enrich = instance.get_typed_func(&mut store, "enrich").map_err(|_| PluginError::MissingExport("enrich"))?;
        let found = version.call(&mut store, ()).map_err(|e| classify(e, &self.limits))?;
        if found != ABI_VERSION {
            return Err(PluginError::AbiVersion(found));
        }
        if let Ok(describe) = instance.get_typed_func::<(), i32>(&mut store, "describe") {
            let rc = describe.call(&mut store, ()).map_err(|e| classify(e, &self.limits))?;
            if rc != 0 {
                return Err(PluginError::Reported(rc));
            }
        }
        // a fresh instance after a fault must declare what the first one did
        if !self.fields.is_empty() && store.data().declared != self.fields {
            return Err(PluginError::FieldsChanged);
        }
        store.data_mut().phase = Phase::Enrich;
        Ok(Live { store, memory, alloc, enrich })
    }

    /// Runs the plugin on one event. A fault yields an error for this call only; the next call gets a
    /// fresh instance, and after `max_faults` faults in a row the plugin is disabled.
    pub fn enrich(&mut self, event: &[u8]) -> Result<Output, PluginError> {
        if let Some(why) = &self.disabled {
            return Err(why.clone());
        }
        let result = self.call(event);
        match &result {
            Ok(_) => self.faults = 0,
            Err(e) => {
                self.live = None; // state after a fault is not trusted
                self.faults += 1;
                if self.faults >= self.limits.max_faults {
                    self.disabled = Some(PluginError::Disabled { faults: self.faults, last: e.to_string() });
                }
            }
        }
        result
    }

    fn call(&mut self, event: &[u8]) -> Result<Output, PluginError> {
        if self.live.is_none() {
            self.live = Some(self.instantiate()?);
        }
        let limits = self.limits.clone();
        let live = self.live.as_mut().expect("instantiated above");
        let len = i32::try_from(event.len()).map_err(|_| PluginError::Bound("event larger than 2 GiB".into()))?;
        live.store.set_fuel(limits.fuel).map_err(|e| PluginError::Trap(e.to_string()))?;
        let state = live.store.data_mut();
        (state.out, state.out_bytes, state.overstep) = (Output::default(), 0, None);
        let ptr = live.alloc.call(&mut live.store, len).map_err(|e| classify(e, &limits))?;
        let start = usize::try_from(ptr).map_err(|_| PluginError::Bound("alloc returned a negative pointer".into()))?;
        live.memory
            .write(&mut live.store, start, event)
            .map_err(|_| PluginError::Bound("alloc returned memory outside the module".into()))?;
        let rc = live.enrich.call(&mut live.store, (ptr, len)).map_err(|e| classify(e, &limits))?;
        let state = live.store.data_mut();
        if let Some(why) = state.overstep.take() {
            return Err(PluginError::Bound(why));
        }
        if rc != 0 {
            // the plugin's own words, when it logged an error before failing
            return Err(match state.out.logs.iter().rev().find(|(level, _)| *level >= 3) {
                Some((_, why)) => PluginError::Failed(why.clone()),
                None => PluginError::Reported(rc),
            });
        }
        Ok(std::mem::take(&mut state.out))
    }
}

fn classify(e: wasmtime::Error, limits: &Limits) -> PluginError {
    match e.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => PluginError::OutOfFuel(limits.fuel),
        Some(trap) => PluginError::Trap(trap.to_string()),
        None => {
            // one line for the analyst (the chain's other links are a wasm backtrace)
            let cause = e.root_cause().to_string();
            if cause.contains("growing memory") {
                PluginError::Bound(format!("memory beyond the {} MiB cap", limits.memory_bytes >> 20))
            } else {
                PluginError::Trap(cause)
            }
        }
    }
}
