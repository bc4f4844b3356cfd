;; call_indirect in the JIT: callees of the same instance are called directly, those
;; of other instances (and host functions) through an out-of-line path that switches
;; the context and memory registers and restores them after the call. Every check
;; reads the caller's memory and globals after the call.

(module $A
  (memory 1)
  (data (i32.const 0) "\2a")  ;; A's byte 0: 42
  (global $g (mut i32) (i32.const 100))
  (table $t (export "tab") 2 2 funcref)
  (elem (i32.const 0) $readA)
  (func $readA (export "readA") (result i32)
    (i32.add (i32.load8_u (i32.const 0)) (global.get $g))))  ;; 142
(register "A" $A)

(module $B
  (import "spectest" "print_i32" (func $print (param i32)))
  (import "A" "readA" (func $readA (result i32)))
  (import "A" "tab" (table $at 2 2 funcref))
  (memory 1)
  (data (i32.const 0) "\07")  ;; B's byte 0: 7
  (global $g (mut i32) (i32.const 1000))
  (type $v_i (func (result i32)))
  (type $i_v (func (param i32)))
  (table $t 4 4 funcref)  ;; fixed size: bounds checked against an immediate
  (elem (table $t) (i32.const 0) func $readA $own $print)
  (func $own (result i32) (i32.add (i32.load8_u (i32.const 0)) (global.get $g)))  ;; 1007
  (func (export "cross") (result i32)
    (i32.add (call_indirect $t (type $v_i) (i32.const 0))
             (i32.add (i32.load8_u (i32.const 0)) (global.get $g))))
  (func (export "same") (result i32)
    (i32.add (call_indirect $t (type $v_i) (i32.const 1)) (i32.load8_u (i32.const 0))))
  (func (export "host") (result i32)
    (call_indirect $t (type $i_v) (i32.const 5) (i32.const 2))
    (i32.add (i32.load8_u (i32.const 0)) (global.get $g)))
  (func (export "viaA") (param i32) (result i32)
    (i32.add (call_indirect $at (type $v_i) (local.get 0)) (i32.load8_u (i32.const 0))))
  (func (export "check") (param i32) (result i32)
    (call_indirect $t (type $v_i) (local.get 0)))
  (func (export "loop") (param $n i32) (result i32) (local $s i32)
    (loop $l
      (local.set $s
        (i32.add (local.get $s)
          (i32.add (call_indirect $t (type $v_i) (i32.and (local.get $n) (i32.const 1)))
                   (i32.load8_u (i32.const 0)))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $s)))

(assert_return (invoke "cross") (i32.const 1149))
(assert_return (invoke "same") (i32.const 1014))
(assert_return (invoke "host") (i32.const 1007))
(assert_return (invoke "viaA" (i32.const 0)) (i32.const 149))
(assert_trap (invoke "viaA" (i32.const 1)) "uninitialized element")
(assert_trap (invoke "viaA" (i32.const 2)) "undefined element")
(assert_trap (invoke "check" (i32.const 2)) "indirect call type mismatch")
(assert_trap (invoke "check" (i32.const 3)) "uninitialized element")
(assert_trap (invoke "check" (i32.const 4)) "undefined element")
(assert_trap (invoke "check" (i32.const -1)) "undefined element")
;; n = 4: (1007 + 7) + (142 + 7) + (1007 + 7) + (142 + 7)
(assert_return (invoke "loop" (i32.const 4)) (i32.const 2326))
