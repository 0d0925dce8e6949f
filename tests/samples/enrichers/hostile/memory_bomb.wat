;; grows its memory until the host's cap stops it
(module
  (import "trackershark" "add_field" (func $add (param i32 i32 i32) (result i32)))
  (import "trackershark" "declare_field" (func $declare (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "trackershark_abi_version") (result i32) (i32.const 1))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "enrich") (param i32 i32) (result i32)
    (loop $grow
      (br_if $grow (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
    (i32.const 0)))
