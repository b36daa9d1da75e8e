;; A context-aware waPC guest written by hand for the scan tests.
;;   protocol_version  -> "v1"
;;   validate_settings -> valid
;;   validate          -> calls kubewarden/kubernetes/list_resources_all with the *settings*
;;                        object of the payload as the request (so a test chooses what is
;;                        listed), then rejects with the host's whole answer, JSON-escaped,
;;                        as the message; a host error becomes a guest error with its text.
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (import "wapc" "__host_call" (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wapc" "__host_response_len" (func $host_response_len (result i32)))
  (import "wapc" "__host_response" (func $host_response (param i32)))
  (import "wapc" "__host_error_len" (func $host_error_len (result i32)))
  (import "wapc" "__host_error" (func $host_error (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\22settings\22:")
  (data (i32.const 32) "{\22valid\22:true,\22message\22:null}")
  (data (i32.const 64) "\22v1\22")
  (data (i32.const 96) "kubewardenkuberneteslist_resources_all")
  (data (i32.const 160) "{\22accepted\22:false,\22message\22:\22")
  (data (i32.const 192) "\22}")
  (data (i32.const 256) "no settings in the validate payload")

  ;; last index of needle in hay, or -1
  (func $rfind (param $hay i32) (param $hay_len i32) (param $needle i32) (param $needle_len i32) (result i32)
    (local $i i32) (local $j i32)
    (if (i32.lt_s (local.get $hay_len) (local.get $needle_len)) (then (return (i32.const -1))))
    (local.set $i (i32.sub (local.get $hay_len) (local.get $needle_len)))
    (loop $outer
      (local.set $j (i32.const 0))
      (block $mismatch
        (loop $inner
          (br_if $mismatch
            (i32.ne
              (i32.load8_u (i32.add (local.get $hay) (i32.add (local.get $i) (local.get $j))))
              (i32.load8_u (i32.add (local.get $needle) (local.get $j)))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $inner (i32.lt_u (local.get $j) (local.get $needle_len))))
        (return (local.get $i)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $outer (i32.ge_s (local.get $i) (i32.const 0))))
    (i32.const -1))

  (func $ensure (param $end i32)
    (local $need i32)
    (local.set $need (i32.add (i32.shr_u (local.get $end) (i32.const 16)) (i32.const 1)))
    (if (i32.gt_u (local.get $need) (memory.size))
      (then (drop (memory.grow (i32.sub (local.get $need) (memory.size)))))))

  (func (export "wapc_init"))

  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (local $msg i32) (local $at i32) (local $len i32) (local $in i32) (local $out i32)
    (local $start i32) (local $i i32) (local $c i32)
    (local.set $msg (i32.add (i32.const 1024) (local.get $op_len)))
    (call $ensure (i32.add (local.get $msg) (local.get $msg_len)))
    (call $guest_request (i32.const 1024) (local.get $msg))
    ;; "protocol_version"
    (if (i32.eq (local.get $op_len) (i32.const 16))
      (then (call $guest_response (i32.const 64) (i32.const 4)) (return (i32.const 1))))
    ;; "validate_settings"
    (if (i32.eq (local.get $op_len) (i32.const 17))
      (then (call $guest_response (i32.const 32) (i32.const 29)) (return (i32.const 1))))
    ;; "validate": the settings object is the list request
    (local.set $at (call $rfind (local.get $msg) (local.get $msg_len) (i32.const 0) (i32.const 11)))
    (if (i32.lt_s (local.get $at) (i32.const 0))
      (then (call $guest_error (i32.const 256) (i32.const 35)) (return (i32.const 0))))
    (local.set $at (i32.add (local.get $at) (i32.const 11)))
    (local.set $in (i32.add (local.get $msg) (local.get $msg_len)))
    (if (i32.eqz (call $host_call
          (i32.const 96) (i32.const 10)
          (i32.const 106) (i32.const 10)
          (i32.const 116) (i32.const 18)
          (i32.add (local.get $msg) (local.get $at))
          (i32.sub (i32.sub (local.get $msg_len) (local.get $at)) (i32.const 1))))
      (then
        (local.set $len (call $host_error_len))
        (call $ensure (i32.add (local.get $in) (local.get $len)))
        (call $host_error (local.get $in))
        (call $guest_error (local.get $in) (local.get $len))
        (return (i32.const 0))))
    ;; the answer goes to $in, the escaped response is built at $out
    (local.set $len (call $host_response_len))
    (call $ensure (i32.add (local.get $in) (local.get $len)))
    (call $host_response (local.get $in))
    (local.set $out (i32.add (local.get $in) (local.get $len)))
    (call $ensure (i32.add (local.get $out) (i32.add (i32.mul (local.get $len) (i32.const 2)) (i32.const 64))))
    (local.set $start (local.get $out))
    (memory.copy (local.get $out) (i32.const 160) (i32.const 29))
    (local.set $out (i32.add (local.get $out) (i32.const 29)))
    (local.set $i (i32.const 0))
    (block $done
      (loop $copy
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $c (i32.load8_u (i32.add (local.get $in) (local.get $i))))
        (if (i32.or (i32.eq (local.get $c) (i32.const 34)) (i32.eq (local.get $c) (i32.const 92)))
          (then
            (i32.store8 (local.get $out) (i32.const 92))
            (local.set $out (i32.add (local.get $out) (i32.const 1)))))
        (i32.store8 (local.get $out) (local.get $c))
        (local.set $out (i32.add (local.get $out) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $copy)))
    (memory.copy (local.get $out) (i32.const 192) (i32.const 2))
    (local.set $out (i32.add (local.get $out) (i32.const 2)))
    (call $guest_response (local.get $start) (i32.sub (local.get $out) (local.get $start)))
    (i32.const 1))
)
