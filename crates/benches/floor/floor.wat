;; The floor of the benchmarks (`make bench-kwctl`, `make bench-policy-server`): a waPC module
;; that reads nothing and accepts everything. It never fetches its payload (no
;; `__guest_request`), keeps no state and answers from constant data chosen by the length of
;; the operation name, so what it costs per request is what the engine costs: instance
;; creation, the waPC round trip and the host's own handling of the payload and the answer.
;; Every module's time is reported above this floor. Never shipped: not in dist/, not an
;; ArtifactHub package; `bench-report` assembles it with the `wat` crate and annotates it.
(module
  (import "wapc" "__guest_response" (func $response (param i32 i32)))
  (import "wapc" "__guest_error" (func $error (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "{\"accepted\":true}")
  (data (i32.const 48) "{\"valid\":true}")
  (data (i32.const 80) "\"v1\"")
  (data (i32.const 96) "floor: unknown operation")
  (func (export "wapc_init"))
  ;; __guest_call(operation length, payload length) -> 1 on success, 0 on error.
  (func (export "__guest_call") (param $op_len i32) (param $payload_len i32) (result i32)
    ;; "validate"
    (if (i32.eq (local.get $op_len) (i32.const 8))
      (then (call $response (i32.const 16) (i32.const 17)) (return (i32.const 1))))
    ;; "validate_settings"
    (if (i32.eq (local.get $op_len) (i32.const 17))
      (then (call $response (i32.const 48) (i32.const 14)) (return (i32.const 1))))
    ;; "protocol_version"
    (if (i32.eq (local.get $op_len) (i32.const 16))
      (then (call $response (i32.const 80) (i32.const 4)) (return (i32.const 1))))
    (call $error (i32.const 96) (i32.const 24))
    (i32.const 0)))
