;; CRC-64/XZ (CRC64-ECMA), slicing-by-16 over i64 tables.
;; Built into lib/crc64/_wasm_bytes.ts by scripts/build_crc64_wasm.ts.
;;
;; Memory layout (2 pages; JS fills the tables after instantiation, which keeps
;; this module a few hundred bytes so synchronous compilation is allowed):
;;   0      .. 32768   16 tables x 256 i64: table k maps a byte to the CRC of
;;                     that byte followed by k zero bytes (little-endian i64)
;;   32768  .. 32776   the raw CRC register (pre-inverted), read and written by update
;;   65536  .. 131072  input chunk, copied in by JS
(module
  (memory (export "memory") 2)

  ;; Advances the register at 32768 over the $len bytes at 65536.
  (func (export "update") (param $len i32)
    (local $crc i64)
    (local $p i32)
    (local $end i32)
    (local $alo i32)
    (local $ahi i32)
    (local $blo i32)
    (local $bhi i32)
    (local.set $crc (i64.load (i32.const 32768)))
    (local.set $p (i32.const 65536))
    (local.set $end (i32.add (i32.const 65536) (local.get $len)))

    (block $done16
      (loop $next16
        (br_if $done16 (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $end)))
        (local.set $alo (i32.xor (i32.load (local.get $p)) (i32.wrap_i64 (local.get $crc))))
        (local.set $ahi
          (i32.xor (i32.load offset=4 (local.get $p))
                   (i32.wrap_i64 (i64.shr_u (local.get $crc) (i64.const 32)))))
        (local.set $blo (i32.load offset=8 (local.get $p)))
        (local.set $bhi (i32.load offset=12 (local.get $p)))
        ;; Byte i of the 16 goes through 15 - i more bytes: table 15 - i.
        (local.set $crc
          (i64.xor
            (i64.xor
              (i64.xor
                (i64.xor
                  (i64.load offset=30720 (i32.and (i32.shl (local.get $alo) (i32.const 3)) (i32.const 0x7f8)))
                  (i64.load offset=28672 (i32.and (i32.shr_u (local.get $alo) (i32.const 5)) (i32.const 0x7f8))))
                (i64.xor
                  (i64.load offset=26624 (i32.and (i32.shr_u (local.get $alo) (i32.const 13)) (i32.const 0x7f8)))
                  (i64.load offset=24576 (i32.and (i32.shr_u (local.get $alo) (i32.const 21)) (i32.const 0x7f8)))))
              (i64.xor
                (i64.xor
                  (i64.load offset=22528 (i32.and (i32.shl (local.get $ahi) (i32.const 3)) (i32.const 0x7f8)))
                  (i64.load offset=20480 (i32.and (i32.shr_u (local.get $ahi) (i32.const 5)) (i32.const 0x7f8))))
                (i64.xor
                  (i64.load offset=18432 (i32.and (i32.shr_u (local.get $ahi) (i32.const 13)) (i32.const 0x7f8)))
                  (i64.load offset=16384 (i32.and (i32.shr_u (local.get $ahi) (i32.const 21)) (i32.const 0x7f8))))))
            (i64.xor
              (i64.xor
                (i64.xor
                  (i64.load offset=14336 (i32.and (i32.shl (local.get $blo) (i32.const 3)) (i32.const 0x7f8)))
                  (i64.load offset=12288 (i32.and (i32.shr_u (local.get $blo) (i32.const 5)) (i32.const 0x7f8))))
                (i64.xor
                  (i64.load offset=10240 (i32.and (i32.shr_u (local.get $blo) (i32.const 13)) (i32.const 0x7f8)))
                  (i64.load offset=8192 (i32.and (i32.shr_u (local.get $blo) (i32.const 21)) (i32.const 0x7f8)))))
              (i64.xor
                (i64.xor
                  (i64.load offset=6144 (i32.and (i32.shl (local.get $bhi) (i32.const 3)) (i32.const 0x7f8)))
                  (i64.load offset=4096 (i32.and (i32.shr_u (local.get $bhi) (i32.const 5)) (i32.const 0x7f8))))
                (i64.xor
                  (i64.load offset=2048 (i32.and (i32.shr_u (local.get $bhi) (i32.const 13)) (i32.const 0x7f8)))
                  (i64.load offset=0 (i32.and (i32.shr_u (local.get $bhi) (i32.const 21)) (i32.const 0x7f8))))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $next16)))

    ;; The last 0..15 bytes, one at a time.
    (block $done1
      (loop $next1
        (br_if $done1 (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $crc
          (i64.xor
            (i64.shr_u (local.get $crc) (i64.const 8))
            (i64.load
              (i32.shl
                (i32.and (i32.xor (i32.wrap_i64 (local.get $crc)) (i32.load8_u (local.get $p)))
                         (i32.const 0xff))
                (i32.const 3)))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next1)))

    (i64.store (i32.const 32768) (local.get $crc))))
