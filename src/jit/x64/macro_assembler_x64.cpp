// Out-of-line parts of the x86-64 macro-assembler: CPU feature detection and the
// float/integer conversions (long sequences with range checks).
#include "jit/x64/macro_assembler_x64.h"

#include <cpuid.h>

#include <cstring>

namespace wisp::jit::x64 {

const CpuFeatures& CpuFeatures::host() {
  // Three CPUID leaves rather than asmjit's full CpuInfo: under a hypervisor every
  // CPUID traps, and a full probe costs a noticeable part of `wisp run`'s start-up.
  static const CpuFeatures features = [] {
    CpuFeatures f;
    unsigned a, b, c, d;
    if (__get_cpuid(1, &a, &b, &c, &d)) {
      f.sse41 = c & bit_SSE4_1;
      f.popcnt = c & bit_POPCNT;
    }
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) f.bmi1 = b & bit_BMI;
    if (__get_cpuid(0x80000001, &a, &b, &c, &d)) f.lzcnt = c & bit_LZCNT;
    return f;
  }();
  return features;
}

namespace {
uint64_t f64Bits(double d) {
  uint64_t b;
  std::memcpy(&b, &d, 8);
  return b;
}
uint32_t f32Bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}
}  // namespace

void MacroAssembler::convert(Op op, Reg dst, Reg src, Reg temp, Label invalid, Label overflow) {
  // Float -> integer truncations, trapping (0xA8-0xB1) and saturating (0xFC00-07).
  bool trunc = true, isSigned = false, srcF64 = false, dst64 = false, saturating = false;
  switch (op) {
    case Op::I32TruncF32S:
      isSigned = true;
      break;
    case Op::I32TruncF32U:
      break;
    case Op::I32TruncF64S:
      isSigned = true;
      srcF64 = true;
      break;
    case Op::I32TruncF64U:
      srcF64 = true;
      break;
    case Op::I64TruncF32S:
      isSigned = true;
      dst64 = true;
      break;
    case Op::I64TruncF32U:
      dst64 = true;
      break;
    case Op::I64TruncF64S:
      isSigned = true;
      srcF64 = true;
      dst64 = true;
      break;
    case Op::I64TruncF64U:
      srcF64 = true;
      dst64 = true;
      break;
    case Op::I32TruncSatF32S:
      saturating = true;
      isSigned = true;
      break;
    case Op::I32TruncSatF32U:
      saturating = true;
      break;
    case Op::I32TruncSatF64S:
      saturating = true;
      isSigned = true;
      srcF64 = true;
      break;
    case Op::I32TruncSatF64U:
      saturating = true;
      srcF64 = true;
      break;
    case Op::I64TruncSatF32S:
      saturating = true;
      isSigned = true;
      dst64 = true;
      break;
    case Op::I64TruncSatF32U:
      saturating = true;
      dst64 = true;
      break;
    case Op::I64TruncSatF64S:
      saturating = true;
      isSigned = true;
      srcF64 = true;
      dst64 = true;
      break;
    case Op::I64TruncSatF64U:
      saturating = true;
      srcF64 = true;
      dst64 = true;
      break;
    default:
      trunc = false;
      break;
  }
  if (trunc) {
    a::Xmm x = xmm(src);
    a::Gp d = gp(dst, dst64);
    auto loadBound = [&](double value) {
      if (srcF64) {
        as_.mov(a::r11, f64Bits(value));
        as_.movq(a::xmm15, a::r11);
      } else {
        as_.mov(a::r11d, f32Bits(static_cast<float>(value)));
        as_.movd(a::xmm15, a::r11d);
      }
    };
    auto ucomis = [&](a::Xmm l, a::Xmm r) { srcF64 ? as_.ucomisd(l, r) : as_.ucomiss(l, r); };
    auto cvtt = [&](a::Gp out, a::Xmm in) {
      srcF64 ? as_.cvttsd2si(out, in) : as_.cvttss2si(out, in);
    };

    Label nan = as_.makeLabel(), low = as_.makeLabel(), high = as_.makeLabel(),
          done = as_.makeLabel();
    ucomis(x, x);
    as_.jp(saturating ? nan : invalid);
    // Range of values whose truncation fits; the lower bound is inclusive where the
    // exact minimum is representable, exclusive (-1, -2^31-1) otherwise.
    double lower, upper;
    bool lowerInclusive;
    if (isSigned) {
      lower = dst64 ? -9223372036854775808.0 : (srcF64 ? -2147483649.0 : -2147483648.0);
      lowerInclusive = dst64 || !srcF64;
      upper = dst64 ? 9223372036854775808.0 : 2147483648.0;
    } else {
      lower = -1.0;
      lowerInclusive = false;
      upper = dst64 ? 18446744073709551616.0 : 4294967296.0;
    }
    loadBound(lower);
    ucomis(x, a::xmm15);
    if (lowerInclusive) {
      as_.jb(saturating ? low : overflow);
    } else {
      as_.jbe(saturating ? low : overflow);
    }
    loadBound(upper);
    ucomis(x, a::xmm15);
    as_.jae(saturating ? high : overflow);

    if (isSigned) {
      cvtt(d, x);
    } else if (!dst64) {
      cvtt(gp64(dst), x);  // fits in 64 bits; keep the low 32 (zero-extended)
      as_.mov(gp32(dst), gp32(dst));
    } else {
      // u64: values >= 2^63 are converted as -(2^63 - x), negated, and offset by 2^63.
      Label big = as_.makeLabel();
      loadBound(9223372036854775808.0);
      ucomis(x, a::xmm15);
      as_.jae(big);
      cvtt(gp64(dst), x);
      as_.jmp(done);
      as_.bind(big);
      srcF64 ? as_.subsd(a::xmm15, x) : as_.subss(a::xmm15, x);
      cvtt(gp64(dst), a::xmm15);
      as_.neg(gp64(dst));
      as_.btc(gp64(dst), 63);
    }
    if (saturating) {
      as_.jmp(done);
      as_.bind(nan);
      as_.xor_(gp32(dst), gp32(dst));
      as_.jmp(done);
      as_.bind(low);
      if (isSigned) {
        if (dst64) {
          as_.mov(gp64(dst), INT64_MIN);
        } else {
          as_.mov(gp32(dst), 0x80000000u);
        }
      } else {
        as_.xor_(gp32(dst), gp32(dst));
      }
      as_.jmp(done);
      as_.bind(high);
      if (dst64) {
        as_.mov(gp64(dst), isSigned ? INT64_MAX : -1ll);
      } else {
        as_.mov(gp32(dst), isSigned ? 0x7FFFFFFFu : 0xFFFFFFFFu);
      }
    }
    as_.bind(done);
    return;
  }

  a::Xmm d = xmm(dst);
  switch (op) {
    case Op::F32DemoteF64:
      as_.cvtsd2ss(d, xmm(src));
      return;
    case Op::F64PromoteF32:
      as_.cvtss2sd(d, xmm(src));
      return;
    case Op::F32ConvertI32S:
      as_.cvtsi2ss(d, gp32(src));
      return;
    case Op::F64ConvertI32S:
      as_.cvtsi2sd(d, gp32(src));
      return;
    // i32 values are kept zero-extended, so the 64-bit signed conversion is exact.
    case Op::F32ConvertI32U:
    case Op::F32ConvertI64S:
      as_.cvtsi2ss(d, gp64(src));
      return;
    case Op::F64ConvertI32U:
    case Op::F64ConvertI64S:
      as_.cvtsi2sd(d, gp64(src));
      return;
    case Op::F32ConvertI64U:
    case Op::F64ConvertI64U: {
      const bool toF64 = op == Op::F64ConvertI64U;
      Label negative = as_.makeLabel(), done = as_.makeLabel();
      as_.test(gp64(src), gp64(src));
      as_.js(negative);
      toF64 ? as_.cvtsi2sd(d, gp64(src)) : as_.cvtsi2ss(d, gp64(src));
      as_.jmp(done);
      as_.bind(negative);
      // Halve (keeping the low bit for correct rounding), convert, double.
      as_.mov(a::r11, gp64(src));
      as_.shr(a::r11, 1);
      as_.mov(gp64(temp), gp64(src));
      as_.and_(gp32(temp), 1);
      as_.or_(a::r11, gp64(temp));
      toF64 ? as_.cvtsi2sd(d, a::r11) : as_.cvtsi2ss(d, a::r11);
      toF64 ? as_.addsd(d, d) : as_.addss(d, d);
      as_.bind(done);
      return;
    }
    default:
      return;
  }
}

}  // namespace wisp::jit::x64
