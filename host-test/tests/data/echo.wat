;; A waPC guest written by hand for the harness tests.
;;   protocol_version  -> "v1"
;;   validate_settings -> valid, unless the settings mention "frobnicate"
;;   validate          -> answers with the *settings* object of the payload, so a test
;;                        passes the ValidationResponse it wants as the settings
;;   echo              -> answers with the whole payload it received
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\22settings\22:")
  (data (i32.const 32) "{\22valid\22:true,\22message\22:null}")
  (data (i32.const 64) "\22v1\22")
  (data (i32.const 96) "\22frobnicate\22")
  (data (i32.const 128) "{\22valid\22:false,\22message\22:\22unknown settings key frobnicate\22}")
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

  (func (export "wapc_init"))

  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (local $msg i32) (local $need i32) (local $at i32)
    (local.set $msg (i32.add (i32.const 1024) (local.get $op_len)))
    (local.set $need (i32.add (i32.shr_u (i32.add (local.get $msg) (local.get $msg_len)) (i32.const 16)) (i32.const 1)))
    (if (i32.gt_u (local.get $need) (memory.size))
      (then (drop (memory.grow (i32.sub (local.get $need) (memory.size))))))
    (call $guest_request (i32.const 1024) (local.get $msg))
    ;; "echo"
    (if (i32.eq (local.get $op_len) (i32.const 4))
      (then (call $guest_response (local.get $msg) (local.get $msg_len)) (return (i32.const 1))))
    ;; "protocol_version"
    (if (i32.eq (local.get $op_len) (i32.const 16))
      (then (call $guest_response (i32.const 64) (i32.const 4)) (return (i32.const 1))))
    ;; "validate_settings"
    (if (i32.eq (local.get $op_len) (i32.const 17))
      (then
        (if (i32.ge_s (call $rfind (local.get $msg) (local.get $msg_len) (i32.const 96) (i32.const 12)) (i32.const 0))
          (then (call $guest_response (i32.const 128) (i32.const 59)) (return (i32.const 1))))
        (call $guest_response (i32.const 32) (i32.const 29))
        (return (i32.const 1))))
    ;; "validate": answer with the bytes after the last "settings": up to the final brace
    (local.set $at (call $rfind (local.get $msg) (local.get $msg_len) (i32.const 0) (i32.const 11)))
    (if (i32.lt_s (local.get $at) (i32.const 0))
      (then (call $guest_error (i32.const 256) (i32.const 35)) (return (i32.const 0))))
    (local.set $at (i32.add (local.get $at) (i32.const 11)))
    (call $guest_response
      (i32.add (local.get $msg) (local.get $at))
      (i32.sub (i32.sub (local.get $msg_len) (local.get $at)) (i32.const 1)))
    (i32.const 1))
)
