;; __guest_call floods the host with tracing/log calls, forever.
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (import "wapc" "__host_call" (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "kubewarden")
  (data (i32.const 16) "tracing")
  (data (i32.const 32) "log")
  (data (i32.const 48) "{\22level\22:\22info\22,\22message\22:\22flood\22}")
  (func (export "wapc_init"))
  (func (export "__guest_call") (param i32 i32) (result i32)
    (loop $forever
      (drop (call $host_call
        (i32.const 0) (i32.const 10)
        (i32.const 16) (i32.const 7)
        (i32.const 32) (i32.const 3)
        (i32.const 48) (i32.const 34)))
      (br $forever))
    (i32.const 1))
)
