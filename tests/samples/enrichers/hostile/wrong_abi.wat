;; speaks ABI version 2: refused at load
(module
  (memory (export "memory") 1)
  (func (export "trackershark_abi_version") (result i32) (i32.const 2))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "enrich") (param i32 i32) (result i32) (i32.const 0)))
