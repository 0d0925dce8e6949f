;; traps on every event
(module
  (import "trackershark" "add_field" (func $add (param i32 i32 i32) (result i32)))
  (import "trackershark" "declare_field" (func $declare (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "trackershark_abi_version") (result i32) (i32.const 1))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "enrich") (param i32 i32) (result i32)
    unreachable))
