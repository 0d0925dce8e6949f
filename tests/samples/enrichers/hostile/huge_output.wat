;; tries to add the same 60 KiB value again and again: over the output bound
(module
  (import "trackershark" "add_field" (func $add (param i32 i32 i32) (result i32)))
  (import "trackershark" "declare_field" (func $declare (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "trackershark_abi_version") (result i32) (i32.const 1))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (data (i32.const 0) "big")
  (data (i32.const 8) "Big")
  (func (export "describe") (result i32)
    (drop (call $declare (i32.const 0) (i32.const 3) (i32.const 8) (i32.const 3)))
    (i32.const 0))
  (func (export "enrich") (param i32 i32) (result i32)
    (local $i i32)
    (loop $more
      (drop (call $add (i32.const 0) (i32.const 0) (i32.const 61440)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $more (i32.lt_u (local.get $i) (i32.const 100))))
    (i32.const 0)))
