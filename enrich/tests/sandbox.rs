//! The sandbox against well-behaved and hostile plugins, written in WAT.

use trackershark_enrich::{engine, Limits, Plugin, PluginError};

/// A module skeleton: the ABI version, an allocator handing out offset 1024, and `body` inside
/// `enrich`. `extra` goes at module level.
fn module(version: i32, body: &str, extra: &str) -> String {
    format!(
        r#"(module
  (import "trackershark" "declare_field" (func $declare (param i32 i32 i32 i32) (result i32)))
  (import "trackershark" "add_field" (func $add (param i32 i32 i32) (result i32)))
  (import "trackershark" "set_info" (func $info (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "file_type")
  (data (i32.const 16) "File type")
  (data (i32.const 32) "ELF executable")
  (func (export "trackershark_abi_version") (result i32) (i32.const {version}))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "describe") (result i32)
    (drop (call $declare (i32.const 0) (i32.const 9) (i32.const 16) (i32.const 9)))
    (i32.const 0))
  (func (export "enrich") (param $ptr i32) (param $len i32) (result i32)
    {body}
    (i32.const 0))
  {extra})"#
    )
}

const GOOD: &str = "(drop (call $add (i32.const 0) (i32.const 32) (i32.const 14)))
    (drop (call $info (local.get $ptr) (local.get $len)))";

fn load(src: &str) -> Result<Plugin, PluginError> {
    Plugin::load(&engine(), "test", src.as_bytes(), Limits::default())
}

#[test]
fn a_well_behaved_plugin_declares_fields_and_adds_values() {
    let mut p = load(&module(1, GOOD, "")).unwrap();
    assert_eq!(p.fields().len(), 1);
    assert_eq!((p.fields()[0].abbrev.as_str(), p.fields()[0].name.as_str()), ("file_type", "File type"));
    for _ in 0..3 {
        let out = p.enrich(br#"{"eventName":"magic_write"}"#).unwrap();
        assert_eq!(out.fields, vec![(0, "ELF executable".to_string())]);
        assert_eq!(out.info.as_deref(), Some(r#"{"eventName":"magic_write"}"#));
    }
}

#[test]
fn an_infinite_loop_runs_out_of_fuel_and_the_next_call_works() {
    let looping = module(1, "(if (i32.eq (i32.load8_u (local.get $ptr)) (i32.const 76)) (then (loop $l (br $l))))", "");
    let mut p = load(&looping).unwrap();
    assert!(matches!(p.enrich(b"LOOP"), Err(PluginError::OutOfFuel(_))));
    assert!(p.enrich(b"fine").is_ok());
}

#[test]
fn a_memory_bomb_is_stopped_at_the_cap() {
    let bomb = module(1, "(loop $l (br_if $l (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))", "");
    let mut p = load(&bomb).unwrap();
    let err = p.enrich(b"x").unwrap_err();
    assert_eq!(err, PluginError::Bound("memory beyond the 16 MiB cap".into()));
    assert_eq!(err.to_string(), "the call exceeded a bound: memory beyond the 16 MiB cap");
}

#[test]
fn a_trap_fails_only_that_call() {
    let trapping = module(1, "(if (i32.eq (local.get $len) (i32.const 4)) (then unreachable))", "");
    let mut p = load(&trapping).unwrap();
    assert!(matches!(p.enrich(b"boom"), Err(PluginError::Trap(_))));
    assert!(p.enrich(b"fine!").is_ok());
}

#[test]
fn huge_output_is_refused() {
    let huge =
        module(1, "(loop $l (br_if $l (i32.eqz (call $add (i32.const 0) (i32.const 0) (i32.const 60000)))))", "");
    let mut p = load(&huge).unwrap();
    let err = p.enrich(b"x").unwrap_err();
    assert!(matches!(&err, PluginError::Bound(why) if why.contains("bytes of output")), "{err:?}");
}

#[test]
fn wrong_abi_version_and_missing_exports_are_refused_at_load() {
    assert_eq!(load(&module(2, GOOD, "")).err(), Some(PluginError::AbiVersion(2)));
    let no_enrich = r#"(module (memory (export "memory") 1)
        (func (export "trackershark_abi_version") (result i32) (i32.const 1))
        (func (export "alloc") (param i32) (result i32) (i32.const 0)))"#;
    assert_eq!(load(no_enrich).err(), Some(PluginError::MissingExport("enrich")));
    assert!(matches!(load("not wasm at all"), Err(PluginError::Load(_))));
}

#[test]
fn no_host_access_beyond_the_abi() {
    let wasi = r#"(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
        (memory (export "memory") 1))"#;
    let err = load(wasi).err().unwrap();
    assert!(matches!(&err, PluginError::Load(why) if why.contains("fd_write")), "{err:?}");
}

#[test]
fn a_plugin_that_keeps_faulting_is_disabled_with_a_reason() {
    let mut p = load(&module(1, "unreachable", "")).unwrap();
    for _ in 0..4 {
        assert!(matches!(p.enrich(b"x"), Err(PluginError::Trap(_))));
    }
    let last = p.enrich(b"x").unwrap_err();
    assert!(matches!(last, PluginError::Trap(_)));
    let err = p.enrich(b"x").unwrap_err();
    assert!(matches!(&err, PluginError::Disabled { faults: 5, .. }), "{err:?}");
    assert!(err.to_string().contains("unreachable"), "{err}");
    assert!(p.disabled().is_some());
}
