;; wat_root: a Trackershark enricher written by hand in WebAssembly text (WAT).
;;
;; For an event run by user 0 (the member "userId" of the event is the number 0) it adds
;;     [Root Process]  (tracker.enrich.wat_root) = "yes"
;; and leaves Info as it is. The host loads .wat text as it is: nothing to build.
;;
;; How it reads the event: it looks for the first place with the eight bytes "userId" (quotes
;; included). A quote inside a JSON string is written \", so outside contrived keys these bytes
;; are the key userId, which in the normalized event (enrichers-wasm/ABI.md) is the top-level
;; member. After the key come optional spaces, ':', optional spaces and the value; it counts when
;; the value is the digit 0 not followed by another digit or a '.'.
(module
  (import "trackershark" "declare_field" (func $declare_field (param i32 i32 i32 i32) (result i32)))
  (import "trackershark" "add_field" (func $add_field (param i32 i32 i32) (result i32)))

  ;; One page (64 KiB) to start; alloc grows it for larger events.
  (memory (export "memory") 1)

  ;; Texts at fixed addresses (address, length):
  (data (i32.const 0) "wat_root")       ;; 0, 8: the field's abbreviation
  (data (i32.const 16) "Root Process")  ;; 16, 12: its name
  (data (i32.const 32) "yes")           ;; 32, 3: its value
  (data (i32.const 48) "\"userId\"")    ;; 48, 8: the key looked for

  ;; The event goes at 1024, after the texts.
  (global $event i32 (i32.const 1024))
  ;; The index of [Root Process], from describe.
  (global $field (mut i32) (i32.const -1))

  (func (export "trackershark_abi_version") (result i32)
    (i32.const 1))

  ;; The same buffer every time; memory grows when the event does not fit.
  (func (export "alloc") (param $size i32) (result i32)
    (local $pages i32)
    ;; pages needed = (1024 + size + 65535) / 65536
    (local.set $pages
      (i32.shr_u (i32.add (i32.add (global.get $event) (local.get $size)) (i32.const 65535))
                 (i32.const 16)))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $pages) (memory.size))) (i32.const -1))
          (then unreachable))))
    (global.get $event))

  (func (export "describe") (result i32)
    (global.set $field
      (call $declare_field (i32.const 0) (i32.const 8) (i32.const 16) (i32.const 12)))
    ;; 0 when the field was declared
    (i32.lt_s (global.get $field) (i32.const 0)))

  ;; Whether the bytes at $at are the 8-byte key at address 48.
  (func $is_key (param $at i32) (result i32)
    (local $i i32)
    (block $differ
      (loop $next
        (br_if $differ
          (i32.ne (i32.load8_u (i32.add (local.get $at) (local.get $i)))
                  (i32.load8_u (i32.add (i32.const 48) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $next (i32.lt_u (local.get $i) (i32.const 8))))
      (return (i32.const 1)))
    (i32.const 0))

  ;; The index of the first byte at or after $at that is not a space, tab or line break.
  (func $skip_spaces (param $at i32) (param $end i32) (result i32)
    (local $c i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $at)))
        (br_if $done
          (i32.and (i32.ne (local.get $c) (i32.const 32))       ;; ' '
            (i32.and (i32.ne (local.get $c) (i32.const 9))      ;; '\t'
              (i32.and (i32.ne (local.get $c) (i32.const 10))   ;; '\n'
                       (i32.ne (local.get $c) (i32.const 13)))))) ;; '\r'
        (local.set $at (i32.add (local.get $at) (i32.const 1)))
        (br $next)))
    (local.get $at))

  ;; Whether the value of "userId" that starts at $at is the number 0.
  (func $is_zero (param $at i32) (param $end i32) (result i32)
    (local $c i32)
    (local.set $at (call $skip_spaces (local.get $at) (local.get $end)))
    (if (i32.ge_u (local.get $at) (local.get $end)) (then (return (i32.const 0))))
    (if (i32.ne (i32.load8_u (local.get $at)) (i32.const 58)) (then (return (i32.const 0)))) ;; ':'
    (local.set $at (call $skip_spaces (i32.add (local.get $at) (i32.const 1)) (local.get $end)))
    (if (i32.ge_u (local.get $at) (local.get $end)) (then (return (i32.const 0))))
    (if (i32.ne (i32.load8_u (local.get $at)) (i32.const 48)) (then (return (i32.const 0)))) ;; '0'
    (local.set $at (i32.add (local.get $at) (i32.const 1)))
    (if (i32.ge_u (local.get $at) (local.get $end)) (then (return (i32.const 1))))
    (local.set $c (i32.load8_u (local.get $at)))
    ;; not 0.5, not 01
    (i32.and (i32.ne (local.get $c) (i32.const 46))                ;; '.'
             (i32.gt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 9)))) ;; not '0'..'9'

  (func (export "enrich") (param $ptr i32) (param $len i32) (result i32)
    (local $at i32)
    (local $end i32)
    (local.set $at (local.get $ptr))
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    (block $done
      (loop $next
        ;; stop when fewer than 8 bytes are left
        (br_if $done (i32.gt_u (i32.add (local.get $at) (i32.const 8)) (local.get $end)))
        (if (call $is_key (local.get $at))
          (then
            (if (call $is_zero (i32.add (local.get $at) (i32.const 8)) (local.get $end))
              (then (drop (call $add_field (global.get $field) (i32.const 32) (i32.const 3)))))
            (br $done)))
        (local.set $at (i32.add (local.get $at) (i32.const 1)))
        (br $next)))
    (i32.const 0)))
