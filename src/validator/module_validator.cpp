#include "validator/module_validator.h"

#include <string>
#include <unordered_set>

#include "decoder/decoder.h"
#include "decoder/opcodes.h"
#include "decoder/reader.h"
#include "validator/function_validator.h"

namespace wisp::validator {

using decoder::ConstExpr;
using decoder::makeError;
using decoder::Module;

namespace {

class ModuleValidator {
 public:
  ModuleValidator(Module& m, const Features& f) : m_(m), features_(f) {}

  Result<void> run() {
    WISP_TRY(checkImports());
    WISP_TRY(checkFunctions());
    WISP_TRY(checkTables());
    WISP_TRY(checkMemories());
    m_.declaredFunctionRefs.assign(m_.functions.size(), false);
    WISP_TRY(checkGlobals());
    WISP_TRY(checkExports());
    WISP_TRY(checkStart());
    WISP_TRY(checkElements());
    WISP_TRY(checkDatas());
    return success();
  }

 private:
  Error fail(uint32_t offset, const std::string& context, const std::string& message) {
    return makeError(offset, context, message);
  }

  // `context` is a callable returning the error context: the string is only built
  // when something fails (modules have many thousands of valid entries).
  template <typename Ctx>
  Result<void> checkLimits(const Limits& l, uint64_t bound, const char* what, const Ctx& context,
                           uint32_t at) {
    if (l.min > bound) {
      return fail(at, context(),
                  std::string(what) + " size must be at most " + std::to_string(bound));
    }
    if (l.hasMax && l.max > bound) {
      return fail(at, context(),
                  std::string(what) + " size must be at most " + std::to_string(bound));
    }
    if (l.hasMax && l.min > l.max) {
      return fail(at, context(), "size minimum must not be greater than maximum");
    }
    return success();
  }

  template <typename Ctx>
  Result<void> checkMemoryType(const MemoryType& t, const Ctx& context, uint32_t at) {
    const uint64_t bound = t.limits.is64 ? (uint64_t{1} << 48) : kMaxMemory32Pages;
    WISP_TRY(checkLimits(t.limits, bound, "memory", context, at));
    if (t.limits.shared && !t.limits.hasMax) {
      return fail(at, context(), "shared memory must have maximum");
    }
    return success();
  }

  Result<void> checkImports() {
    for (size_t i = 0; i < m_.imports.size(); i++) {
      const auto& im = m_.imports[i];
      auto ctx = [&] {
        return "import " + std::to_string(i) + " (" + im.module + "." + im.name + ")";
      };
      switch (im.kind) {
        case ExternKind::Func:
          if (im.funcType >= m_.types.size()) {
            return fail(im.offset, ctx(), "unknown type " + std::to_string(im.funcType));
          }
          break;
        case ExternKind::Table:
          WISP_TRY(checkLimits(im.table.limits, 0xFFFFFFFFu, "table", ctx, im.offset));
          break;
        case ExternKind::Memory:
          WISP_TRY(checkMemoryType(im.memory, ctx, im.offset));
          break;
        case ExternKind::Global:
          break;
      }
    }
    return success();
  }

  Result<void> checkFunctions() {
    for (uint32_t i = m_.numImportedFunctions; i < m_.functions.size(); i++) {
      if (m_.functions[i] >= m_.types.size()) {
        return fail(m_.functionOffsets[i], "function " + std::to_string(i),
                    "unknown type " + std::to_string(m_.functions[i]));
      }
    }
    return success();
  }

  Result<void> checkTables() {
    for (size_t i = m_.numImportedTables; i < m_.tables.size(); i++) {
      WISP_TRY(checkLimits(
          m_.tables[i].limits, 0xFFFFFFFFu, "table", [&] { return "table " + std::to_string(i); },
          m_.tableOffsets[i]));
    }
    return success();
  }

  Result<void> checkMemories() {
    if (m_.memories.size() > 1 && !features_.multiMemory) {
      return fail(m_.memoryOffsets[1], "memory " + std::to_string(1),
                  "multiple memories are not allowed");
    }
    for (size_t i = m_.numImportedMemories; i < m_.memories.size(); i++) {
      WISP_TRY(checkMemoryType(
          m_.memories[i], [&] { return "memory " + std::to_string(i); }, m_.memoryOffsets[i]));
    }
    return success();
  }

  // Types a constant expression (3.3.10): 2.0 allows one constant instruction;
  // global.get may only name an imported immutable global. Extended-const adds
  // i32/i64 add, sub and mul, typed here on a small stack.
  template <typename Ctx>
  Result<void> checkConstExpr(const ConstExpr& e, ValType expected, const Ctx& context) {
    auto fail = [&](uint32_t offset, const char*, const std::string& message) {
      return this->fail(offset, context(), message);
    };
    const char* ctx = nullptr;
    auto globalType = [&](uint64_t index, ValType& out) -> Result<void> {
      if (index >= m_.numImportedGlobals) {
        return fail(e.offset, ctx,
                    "unknown global " + std::to_string(index) +
                        " (constant expressions may only read imported globals)");
      }
      const GlobalType& g = m_.globals[index].type;
      if (g.isMutable) {
        return fail(e.offset, ctx, "constant expression required (global.get of a mutable global)");
      }
      out = g.type;
      return success();
    };
    auto refFunc = [&](uint64_t index) -> Result<void> {
      if (index >= m_.functions.size()) {
        return fail(e.offset, ctx, "unknown function " + std::to_string(index));
      }
      m_.declaredFunctionRefs[index] = true;
      return success();
    };

    if (e.kind != ConstExpr::Kind::Complex) {
      ValType t = e.type;
      if (e.kind == ConstExpr::Kind::GlobalGet) WISP_TRY(globalType(e.value, t));
      if (e.kind == ConstExpr::Kind::RefFunc) WISP_TRY(refFunc(e.value));
      if (t != expected) {
        return fail(e.offset, ctx,
                    std::string("type mismatch in constant expression: expected ") +
                        valTypeName(expected) + ", got " + valTypeName(t));
      }
      return success();
    }

    // Several (or zero) instructions: re-read them from the bytes.
    decoder::Reader r(m_.bytes.data(), m_.bytes.data() + e.offset,
                      m_.bytes.data() + e.offset + e.size);
    std::vector<ValType> stack;
    for (;;) {
      uint32_t at = r.offset();
      uint8_t op = 0;
      if (!r.readByte(op)) return fail(at, ctx, r.errorMessage());
      if (op == 0x0B) break;
      switch (op) {
        case 0x41: {
          int32_t v;
          (void)r.readS32(v);
          stack.push_back(ValType::I32);
          break;
        }
        case 0x42: {
          int64_t v;
          (void)r.readS64(v);
          stack.push_back(ValType::I64);
          break;
        }
        case 0x43: {
          uint32_t v;
          (void)r.readF32Bits(v);
          stack.push_back(ValType::F32);
          break;
        }
        case 0x44: {
          uint64_t v;
          (void)r.readF64Bits(v);
          stack.push_back(ValType::F64);
          break;
        }
        case 0xD0: {
          uint8_t b = 0;
          (void)r.readByte(b);
          stack.push_back(static_cast<ValType>(b));
          break;
        }
        case 0xD2: {
          uint32_t f = 0;
          (void)r.readU32(f);
          WISP_TRY(refFunc(f));
          stack.push_back(ValType::FuncRef);
          break;
        }
        case 0x23: {
          uint32_t g = 0;
          (void)r.readU32(g);
          ValType t;
          WISP_TRY(globalType(g, t));
          stack.push_back(t);
          break;
        }
        case 0xFD: {
          uint32_t sub;
          (void)r.readU32(sub);
          r.skip(16);
          stack.push_back(ValType::V128);
          break;
        }
        case 0x6A:
        case 0x6B:
        case 0x6C:
        case 0x7C:
        case 0x7D:
        case 0x7E: {
          const ValType t = op < 0x70 ? ValType::I32 : ValType::I64;
          if (stack.size() < 2 || stack[stack.size() - 1] != t || stack[stack.size() - 2] != t) {
            return fail(at, ctx, "type mismatch in constant expression");
          }
          stack.pop_back();
          break;
        }
        default:
          return fail(at, ctx, "constant expression required");
      }
    }
    if (stack.size() != 1 || stack[0] != expected) {
      return fail(e.offset, ctx, "type mismatch in constant expression");
    }
    return success();
  }

  Result<void> checkGlobals() {
    for (size_t i = m_.numImportedGlobals; i < m_.globals.size(); i++) {
      const auto& g = m_.globals[i];
      WISP_TRY(checkConstExpr(g.init, g.type.type, [&] { return "global " + std::to_string(i); }));
    }
    return success();
  }

  Result<void> checkExports() {
    std::unordered_set<std::string_view> names;
    names.reserve(m_.exports.size());
    for (size_t i = 0; i < m_.exports.size(); i++) {
      const auto& e = m_.exports[i];
      auto ctx = [&] { return "export " + std::to_string(i) + " (\"" + e.name + "\")"; };
      if (!names.insert(e.name).second) return fail(e.offset, ctx(), "duplicate export name");
      size_t bound = 0;
      switch (e.kind) {
        case ExternKind::Func:
          bound = m_.functions.size();
          break;
        case ExternKind::Table:
          bound = m_.tables.size();
          break;
        case ExternKind::Memory:
          bound = m_.memories.size();
          break;
        case ExternKind::Global:
          bound = m_.globals.size();
          break;
      }
      if (e.index >= bound) {
        return fail(
            e.offset, ctx(),
            std::string("unknown ") + externKindName(e.kind) + " " + std::to_string(e.index));
      }
      if (e.kind == ExternKind::Func) m_.declaredFunctionRefs[e.index] = true;
    }
    return success();
  }

  Result<void> checkStart() {
    if (!m_.start) return success();
    if (*m_.start >= m_.functions.size()) {
      return fail(m_.startOffset, "start section", "unknown function " + std::to_string(*m_.start));
    }
    const FuncType& t = m_.functionType(*m_.start);
    if (t.numParams != 0 || t.numResults() != 0) {
      return fail(m_.startOffset, "start section", "start function must have type [] -> []");
    }
    return success();
  }

  Result<void> checkElements() {
    for (size_t i = 0; i < m_.elems.size(); i++) {
      const auto& seg = m_.elems[i];
      auto ctx = [&] { return "element segment " + std::to_string(i); };
      if (seg.mode == decoder::SegmentMode::Active) {
        if (seg.table >= m_.tables.size()) {
          return fail(seg.offset, ctx(), "unknown table " + std::to_string(seg.table));
        }
        WISP_TRY(checkConstExpr(seg.offsetExpr, ValType::I32, ctx));
        if (m_.tables[seg.table].elemType != seg.type) {
          return fail(seg.offset, ctx(), "type mismatch: segment and table element types differ");
        }
      }
      if (seg.usesExprs) {
        for (const auto& e : seg.exprs) WISP_TRY(checkConstExpr(e, seg.type, ctx));
      } else {
        for (uint32_t f : seg.funcIndices) {
          if (f >= m_.functions.size())
            return fail(seg.offset, ctx(), "unknown function " + std::to_string(f));
          m_.declaredFunctionRefs[f] = true;
        }
      }
    }
    return success();
  }

  Result<void> checkDatas() {
    for (size_t i = 0; i < m_.datas.size(); i++) {
      const auto& d = m_.datas[i];
      if (d.mode != decoder::SegmentMode::Active) continue;
      auto ctx = [&] { return "data segment " + std::to_string(i); };
      if (d.memory >= m_.memories.size()) {
        return fail(d.offset, ctx(), "unknown memory " + std::to_string(d.memory));
      }
      WISP_TRY(checkConstExpr(
          d.offsetExpr, m_.memories[d.memory].limits.is64 ? ValType::I64 : ValType::I32, ctx));
    }
    return success();
  }

  Module& m_;
  const Features& features_;
};

}  // namespace

Result<void> validateModuleStructure(Module& m, const Features& features) {
  return ModuleValidator(m, features).run();
}

Result<void> validateFunction(const Module& m, uint32_t funcIndex, const Features& features) {
  FunctionValidator<NullListener> v(m, features);
  NullListener l;
  return v.run(funcIndex, l);
}

Result<void> validateModule(Module& m, const Features& features) {
  WISP_TRY(validateModuleStructure(m, features));
  FunctionValidator<NullListener> v(m, features);
  NullListener l;
  for (uint32_t f = m.numImportedFunctions; f < m.functions.size(); f++) {
    WISP_TRY(v.run(f, l));
  }
  return success();
}

Result<void> validateBytes(std::span<const uint8_t> bytes, const Features& features) {
  auto m = decoder::decodeModuleView(bytes, features);
  if (!m) return m.takeError();
  return validateModule(*m, features);
}

Result<Module> decodeAndValidate(std::vector<uint8_t> bytes, const Features& features) {
  auto m = decoder::decodeModule(std::move(bytes), features);
  if (!m) return m.takeError();
  WISP_TRY(validateModule(*m, features));
  return std::move(m).value();
}

}  // namespace wisp::validator
