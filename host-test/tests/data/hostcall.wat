;; Makes the host call its payload describes and hands back what the host answered.
;;   payload: "<binding>\n<namespace>\n<operation>\n<request body>"
;;   host answers 1 -> __guest_response(host response), returns 1
;;   host answers 0 -> __guest_error(host error), returns 0
;;   protocol_version -> "v1"
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (import "wapc" "__host_call" (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wapc" "__host_response_len" (func $host_response_len (result i32)))
  (import "wapc" "__host_response" (func $host_response (param i32)))
  (import "wapc" "__host_error_len" (func $host_error_len (result i32)))
  (import "wapc" "__host_error" (func $host_error (param i32)))
  (import "wapc" "__console_log" (func $console_log (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\22v1\22")
  (data (i32.const 16) "hostcall guest called")

  ;; index of the first newline at or after $from, or $len
  (func $newline (param $ptr i32) (param $from i32) (param $len i32) (result i32)
    (block $done
      (loop $scan
        (br_if $done (i32.ge_u (local.get $from) (local.get $len)))
        (br_if $done (i32.eq (i32.load8_u (i32.add (local.get $ptr) (local.get $from))) (i32.const 10)))
        (local.set $from (i32.add (local.get $from) (i32.const 1)))
        (br $scan)))
    (local.get $from))

  (func $ensure (param $end i32)
    (local $need i32)
    (local.set $need (i32.add (i32.shr_u (local.get $end) (i32.const 16)) (i32.const 1)))
    (if (i32.gt_u (local.get $need) (memory.size))
      (then (drop (memory.grow (i32.sub (local.get $need) (memory.size)))))))

  (func (export "wapc_init"))

  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (local $msg i32) (local $need i32) (local $a i32) (local $b i32) (local $c i32)
    (local $out i32) (local $len i32)
    (local.set $msg (i32.add (i32.const 1024) (local.get $op_len)))
    (local.set $need (i32.add (i32.shr_u (i32.add (local.get $msg) (local.get $msg_len)) (i32.const 16)) (i32.const 1)))
    (if (i32.gt_u (local.get $need) (memory.size))
      (then (drop (memory.grow (i32.sub (local.get $need) (memory.size))))))
    (call $guest_request (i32.const 1024) (local.get $msg))
    (if (i32.eq (local.get $op_len) (i32.const 16))
      (then (call $guest_response (i32.const 0) (i32.const 4)) (return (i32.const 1))))
    (call $console_log (i32.const 16) (i32.const 21))
    (local.set $a (call $newline (local.get $msg) (i32.const 0) (local.get $msg_len)))
    (local.set $b (call $newline (local.get $msg) (i32.add (local.get $a) (i32.const 1)) (local.get $msg_len)))
    (local.set $c (call $newline (local.get $msg) (i32.add (local.get $b) (i32.const 1)) (local.get $msg_len)))
    (local.set $out (i32.add (local.get $msg) (local.get $msg_len)))
    (if (call $host_call
          (local.get $msg) (local.get $a)
          (i32.add (local.get $msg) (i32.add (local.get $a) (i32.const 1)))
          (i32.sub (local.get $b) (i32.add (local.get $a) (i32.const 1)))
          (i32.add (local.get $msg) (i32.add (local.get $b) (i32.const 1)))
          (i32.sub (local.get $c) (i32.add (local.get $b) (i32.const 1)))
          (i32.add (local.get $msg) (i32.add (local.get $c) (i32.const 1)))
          (i32.sub (local.get $msg_len) (i32.add (local.get $c) (i32.const 1))))
      (then
        (local.set $len (call $host_response_len))
        (call $ensure (i32.add (local.get $out) (local.get $len)))
        (call $host_response (local.get $out))
        (call $guest_response (local.get $out) (local.get $len))
        (return (i32.const 1))))
    (local.set $len (call $host_error_len))
    (call $ensure (i32.add (local.get $out) (local.get $len)))
    (call $host_error (local.get $out))
    (call $guest_error (local.get $out) (local.get $len))
    (i32.const 0))
)
