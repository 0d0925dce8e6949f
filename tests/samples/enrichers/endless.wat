;; A hostile enricher: loops forever. The sandbox stops it; the event is shown without it.
(module
  (memory (export "memory") 1)
  (func (export "trackershark_abi_version") (result i32) (i32.const 1))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "enrich") (param i32 i32) (result i32)
    (loop $forever (br $forever))
    (i32.const 0)))
