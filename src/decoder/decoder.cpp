// Module decoder: sections in order, each read with a Reader bounded to the section.
#include "decoder/decoder.h"

#include <cstdio>
#include <string>

#include "decoder/limits.h"
#include "decoder/opcodes.h"
#include "decoder/reader.h"

namespace wisp::decoder {

Error makeError(uint32_t offset, const std::string& context, const std::string& message) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "offset 0x%x: ", offset);
  std::string s = buf;
  if (!context.empty()) s += context + ": ";
  s += message;
  return Error{std::move(s)};
}

namespace {

enum SectionId : uint8_t {
  kCustom = 0,
  kType = 1,
  kImport = 2,
  kFunction = 3,
  kTable = 4,
  kMemory = 5,
  kGlobal = 6,
  kExport = 7,
  kStart = 8,
  kElement = 9,
  kCode = 10,
  kData = 11,
  kDataCount = 12,
};

const char* sectionName(uint8_t id) {
  static const char* const names[] = {"custom", "type",   "import",   "function", "table",
                                      "memory", "global", "export",   "start",    "element",
                                      "code",   "data",   "datacount"};
  return id <= 12 ? names[id] : "unknown";
}

// Position in the required section order (5.5.2); datacount sits between element and code.
int sectionRank(uint8_t id) {
  switch (id) {
    case kDataCount:
      return 10;
    case kCode:
      return 11;
    case kData:
      return 12;
    default:
      return id;
  }
}

class ModuleDecoder {
 public:
  ModuleDecoder(Module& m, const Features& f) : m_(m), features_(f) {}

  Result<void> decode() {
    const uint8_t* base = m_.bytes.data();
    if (m_.bytes.size() > limits::kMaxModuleSize) {
      return makeError(0, "", "module too large (limit 1 GiB)");
    }
    Reader r(base, base, base + m_.bytes.size());
    setContext("module header");
    const uint8_t* magic;
    if (!r.readBytes(4, magic)) return fail(r);
    if (std::memcmp(magic, "\0asm", 4) != 0) return fail(r, 0, "magic header not detected");
    const uint8_t* version;
    if (!r.readBytes(4, version)) return fail(r);
    if (std::memcmp(version, "\x01\0\0\0", 4) != 0) return fail(r, 4, "unknown binary version");

    int lastRank = 0;
    while (!r.atEnd()) {
      uint32_t sectionStart = r.offset();
      setContext("section header");
      uint8_t id;
      if (!r.readByte(id)) return fail(r);
      if (id > kDataCount) return fail(r, sectionStart, "malformed section id");
      uint32_t size;
      if (!r.readU32(size)) return fail(r);
      if (size > r.remaining()) return fail(r, r.offset(), "section size mismatch: unexpected end");
      setContext(sectionName(id));
      sectionContext_ = true;
      if (id != kCustom) {
        int rank = sectionRank(id);
        if (rank <= lastRank) {
          return fail(r, sectionStart,
                      "unexpected content after last section (section out of order or duplicated)");
        }
        lastRank = rank;
      }
      Reader s(base, r.pos(), r.pos() + size);
      WISP_TRY(decodeSection(id, s));
      if (!s.atEnd()) return fail(s, s.offset(), "section size mismatch");
      r.skip(size);
    }

    setContext("module");
    if (m_.bodies.size() != m_.numDefinedFunctions()) {
      return fail(r, r.offset(), "function and code section have inconsistent lengths");
    }
    if (m_.dataCount && *m_.dataCount != m_.datas.size()) {
      return fail(r, r.offset(), "data count and data section have inconsistent lengths");
    }
    return success();
  }

 private:
  // Context is kept as parts and formatted only when an error is reported, so that
  // decoding many entries costs no string building.
  void setContext(const char* what, const char* entry = nullptr, uint32_t index = 0) {
    context_ = what;
    entry_ = entry;
    entryIndex_ = index;
    sectionContext_ = false;
  }
  std::string contextString() const {
    std::string s = context_;
    if (sectionContext_ || entry_) s += " section";
    if (entry_) s += std::string(": ") + entry_ + " " + std::to_string(entryIndex_);
    return s;
  }
  Error fail(const Reader& r) {
    return makeError(r.errorOffset(), contextString(), r.errorMessage());
  }
  Error fail(const Reader&, uint32_t offset, const std::string& message) {
    return makeError(offset, contextString(), message);
  }

  Result<void> decodeSection(uint8_t id, Reader& r) {
    switch (id) {
      case kCustom:
        return decodeCustom(r);
      case kType:
        return decodeTypes(r);
      case kImport:
        return decodeImports(r);
      case kFunction:
        return decodeFunctions(r);
      case kTable:
        return decodeTables(r);
      case kMemory:
        return decodeMemories(r);
      case kGlobal:
        return decodeGlobals(r);
      case kExport:
        return decodeExports(r);
      case kStart:
        return decodeStart(r);
      case kElement:
        return decodeElements(r);
      case kCode:
        return decodeCode(r);
      case kData:
        return decodeData(r);
      case kDataCount:
        return decodeDataCount(r);
    }
    return success();
  }

  Result<uint32_t> readCountLimited(Reader& r, uint32_t limit, const char* what,
                                    uint32_t minElementSize = 1) {
    uint32_t start = r.offset();
    uint32_t n;
    if (!r.readCount(n, minElementSize)) return fail(r);
    if (n > limit) {
      return fail(r, start,
                  "too many " + std::string(what) + " (" + std::to_string(n) + ", limit " +
                      std::to_string(limit) + ")");
    }
    return n;
  }

  Result<ValType> readValType(Reader& r) {
    uint32_t at = r.offset();
    uint8_t b;
    if (!r.readByte(b)) return fail(r);
    if (!isValidValTypeByte(b)) return fail(r, at, "malformed value type");
    return static_cast<ValType>(b);
  }

  Result<ValType> readRefType(Reader& r) {
    uint32_t at = r.offset();
    uint8_t b;
    if (!r.readByte(b)) return fail(r);
    if (b != 0x70 && b != 0x6F) return fail(r, at, "malformed reference type");
    return static_cast<ValType>(b);
  }

  Result<Limits> readLimits(Reader& r, bool isMemory) {
    uint32_t at = r.offset();
    uint8_t flags;
    if (!r.readByte(flags)) return fail(r);
    uint8_t allowed = 0x01;
    if (isMemory && features_.threads) allowed |= 0x02;
    if (isMemory && features_.memory64) allowed |= 0x04;
    if (flags & ~allowed) return fail(r, at, "integer too large (malformed limits flags)");
    Limits l;
    l.hasMax = flags & 0x01;
    l.shared = flags & 0x02;
    l.is64 = flags & 0x04;
    if (l.is64) {
      if (!r.readU64(l.min)) return fail(r);
      if (l.hasMax && !r.readU64(l.max)) return fail(r);
    } else {
      uint32_t v;
      if (!r.readU32(v)) return fail(r);
      l.min = v;
      if (l.hasMax) {
        if (!r.readU32(v)) return fail(r);
        l.max = v;
      }
    }
    return l;
  }

  Result<TableType> readTableType(Reader& r) {
    TableType t;
    auto type = readRefType(r);
    if (!type) return type.takeError();
    t.elemType = *type;
    auto limits = readLimits(r, false);
    if (!limits) return limits.takeError();
    t.limits = *limits;
    return t;
  }

  Result<GlobalType> readGlobalType(Reader& r) {
    GlobalType g;
    auto type = readValType(r);
    if (!type) return type.takeError();
    g.type = *type;
    uint32_t at = r.offset();
    uint8_t mut;
    if (!r.readByte(mut)) return fail(r);
    if (mut > 1) return fail(r, at, "malformed mutability");
    g.isMutable = mut == 1;
    return g;
  }

  // Reads a constant expression up to and including its `end`. Only instructions that
  // can be constant are accepted; typing is the validator's job.
  Result<ConstExpr> readConstExpr(Reader& r) {
    ConstExpr e;
    e.offset = r.offset();
    uint32_t count = 0;
    for (;;) {
      uint32_t at = r.offset();
      uint8_t op;
      if (!r.readByte(op)) return fail(r);
      if (op == 0x0B) break;
      count++;
      switch (op) {
        case 0x41: {
          int32_t v;
          if (!r.readS32(v)) return fail(r);
          e.kind = ConstExpr::Kind::I32;
          e.type = ValType::I32;
          e.value = static_cast<uint32_t>(v);
          break;
        }
        case 0x42: {
          int64_t v;
          if (!r.readS64(v)) return fail(r);
          e.kind = ConstExpr::Kind::I64;
          e.type = ValType::I64;
          e.value = static_cast<uint64_t>(v);
          break;
        }
        case 0x43: {
          uint32_t v;
          if (!r.readF32Bits(v)) return fail(r);
          e.kind = ConstExpr::Kind::F32;
          e.type = ValType::F32;
          e.value = v;
          break;
        }
        case 0x44: {
          uint64_t v;
          if (!r.readF64Bits(v)) return fail(r);
          e.kind = ConstExpr::Kind::F64;
          e.type = ValType::F64;
          e.value = v;
          break;
        }
        case 0xD0: {
          auto t = readRefType(r);
          if (!t) return t.takeError();
          e.kind = ConstExpr::Kind::RefNull;
          e.type = *t;
          break;
        }
        case 0xD2: {
          uint32_t f;
          if (!r.readU32(f)) return fail(r);
          e.kind = ConstExpr::Kind::RefFunc;
          e.type = ValType::FuncRef;
          e.value = f;
          break;
        }
        case 0x23: {
          uint32_t g;
          if (!r.readU32(g)) return fail(r);
          e.kind = ConstExpr::Kind::GlobalGet;
          e.type = ValType::Bottom;  // known once the validator looks the global up
          e.value = g;
          break;
        }
        case 0xFD: {
          uint32_t sub;
          if (!r.readU32(sub)) return fail(r);
          if (sub != 0x0C) return fail(r, at, "constant expression required");
          uint64_t lo, hi;
          if (!r.readF64Bits(lo) || !r.readF64Bits(hi)) return fail(r);
          e.kind = ConstExpr::Kind::V128;
          e.type = ValType::V128;
          e.value = lo;
          e.high = hi;
          break;
        }
        case 0x6A:
        case 0x6B:
        case 0x6C:  // i32.add/sub/mul
        case 0x7C:
        case 0x7D:
        case 0x7E:  // i64.add/sub/mul
          if (!features_.extendedConst) return fail(r, at, "constant expression required");
          break;
        default:
          return fail(r, at, "constant expression required");
      }
    }
    // Zero or several instructions: the validator types it from the bytes.
    if (count != 1) e.kind = ConstExpr::Kind::Complex;
    e.size = r.offset() - e.offset;
    return e;
  }

  Result<void> decodeCustom(Reader& r) {
    CustomSection c;
    if (!r.readName(c.name)) return fail(r);
    c.offset = r.offset();
    c.size = static_cast<uint32_t>(r.remaining());
    if (c.name == "name") decodeNameSection(r);
    r.setPos(r.end());
    m_.customs.push_back(std::move(c));
    return success();
  }

  // The name section is advisory: anything malformed in it is ignored (the spec's
  // appendix 7.4 says so), and we keep only function names.
  void decodeNameSection(Reader r) {
    while (!r.atEnd()) {
      uint8_t id;
      uint32_t size;
      if (!r.readByte(id) || !r.readU32(size) || size > r.remaining()) return;
      Reader sub(r.base(), r.pos(), r.pos() + size);
      r.skip(size);
      if (id != 1) continue;
      uint32_t n;
      if (!sub.readCount(n, 2)) return;
      for (uint32_t i = 0; i < n; i++) {
        uint32_t index;
        std::string name;
        if (!sub.readU32(index) || !sub.readName(name)) return;
        m_.functionNames.emplace(index, std::move(name));
      }
    }
  }

  Result<void> decodeTypes(Reader& r) {
    auto n = readCountLimited(r, limits::kMaxTypes, "types", 3);
    if (!n) return n.takeError();
    m_.types.resize(*n);
    for (uint32_t i = 0; i < *n; i++) {
      setContext("type", "type", i);
      uint32_t at = r.offset();
      uint8_t form;
      if (!r.readByte(form)) return fail(r);
      if (form != 0x60) return fail(r, at, "malformed function type (expected 0x60)");
      FuncType& t = m_.types[i];
      auto np = readCountLimited(r, limits::kMaxFunctionParams, "parameters");
      if (!np) return np.takeError();
      t.types.reserve(*np);
      for (uint32_t k = 0; k < *np; k++) {
        auto vt = readValType(r);
        if (!vt) return vt.takeError();
        t.types.push_back(*vt);
      }
      t.numParams = *np;
      auto nr = readCountLimited(r, limits::kMaxFunctionResults, "results");
      if (!nr) return nr.takeError();
      for (uint32_t k = 0; k < *nr; k++) {
        auto vt = readValType(r);
        if (!vt) return vt.takeError();
        t.types.push_back(*vt);
      }
    }
    return success();
  }

  Result<void> decodeImports(Reader& r) {
    auto n = readCountLimited(r, limits::kMaxImports, "imports", 4);
    if (!n) return n.takeError();
    m_.imports.resize(*n);
    for (uint32_t i = 0; i < *n; i++) {
      setContext("import", "import", i);
      Import& im = m_.imports[i];
      im.offset = r.offset();
      if (!r.readName(im.module) || !r.readName(im.name)) return fail(r);
      uint32_t at = r.offset();
      uint8_t kind;
      if (!r.readByte(kind)) return fail(r);
      switch (kind) {
        case 0: {
          im.kind = ExternKind::Func;
          if (!r.readU32(im.funcType)) return fail(r);
          if (m_.functions.size() >= limits::kMaxFunctions) {
            return fail(r, at, "too many functions");
          }
          m_.functions.push_back(im.funcType);
          m_.functionOffsets.push_back(im.offset);
          m_.numImportedFunctions++;
          break;
        }
        case 1: {
          if (m_.tables.size() >= limits::kMaxTables) return fail(r, at, "too many tables");
          im.kind = ExternKind::Table;
          auto t = readTableType(r);
          if (!t) return t.takeError();
          im.table = *t;
          m_.tables.push_back(*t);
          m_.tableOffsets.push_back(im.offset);
          m_.numImportedTables++;
          break;
        }
        case 2: {
          if (m_.memories.size() >= limits::kMaxMemories) return fail(r, at, "too many memories");
          im.kind = ExternKind::Memory;
          auto l = readLimits(r, true);
          if (!l) return l.takeError();
          im.memory.limits = *l;
          m_.memories.push_back(im.memory);
          m_.memoryOffsets.push_back(im.offset);
          m_.numImportedMemories++;
          break;
        }
        case 3: {
          if (m_.globals.size() >= limits::kMaxGlobals) return fail(r, at, "too many globals");
          im.kind = ExternKind::Global;
          auto g = readGlobalType(r);
          if (!g) return g.takeError();
          im.global = *g;
          m_.globals.push_back(Global{*g, {}});
          m_.numImportedGlobals++;
          break;
        }
        default:
          return fail(r, at, "malformed import kind");
      }
    }
    return success();
  }

  Result<void> decodeFunctions(Reader& r) {
    auto n = readCountLimited(r, limits::kMaxFunctions - m_.numImportedFunctions, "functions");
    if (!n) return n.takeError();
    m_.functions.reserve(m_.functions.size() + *n);
    m_.functionOffsets.reserve(m_.functions.size() + *n);
    for (uint32_t i = 0; i < *n; i++) {
      m_.functionOffsets.push_back(r.offset());
      uint32_t typeIndex;
      if (!r.readU32(typeIndex)) return fail(r);
      m_.functions.push_back(typeIndex);
    }
    return success();
  }

  Result<void> decodeTables(Reader& r) {
    auto n = readCountLimited(r, limits::kMaxTables - m_.numImportedTables, "tables", 3);
    if (!n) return n.takeError();
    for (uint32_t i = 0; i < *n; i++) {
      setContext("table", "table", i);
      m_.tableOffsets.push_back(r.offset());
      auto t = readTableType(r);
      if (!t) return t.takeError();
      m_.tables.push_back(*t);
    }
    return success();
  }

  Result<void> decodeMemories(Reader& r) {
    auto n = readCountLimited(r, limits::kMaxMemories - m_.numImportedMemories, "memories", 2);
    if (!n) return n.takeError();
    for (uint32_t i = 0; i < *n; i++) {
      setContext("memory", "memory", i);
      m_.memoryOffsets.push_back(r.offset());
      auto l = readLimits(r, true);
      if (!l) return l.takeError();
      m_.memories.push_back(MemoryType{*l});
    }
    return success();
  }

  Result<void> decodeGlobals(Reader& r) {
    auto n = readCountLimited(r, limits::kMaxGlobals - m_.numImportedGlobals, "globals", 3);
    if (!n) return n.takeError();
    m_.globals.reserve(m_.globals.size() + *n);
    for (uint32_t i = 0; i < *n; i++) {
      setContext("global", "global", static_cast<uint32_t>(m_.globals.size()));
      auto g = readGlobalType(r);
      if (!g) return g.takeError();
      auto init = readConstExpr(r);
      if (!init) return init.takeError();
      m_.globals.push_back(Global{*g, *init});
    }
    return success();
  }

  Result<void> decodeExports(Reader& r) {
    auto n = readCountLimited(r, limits::kMaxExports, "exports", 3);
    if (!n) return n.takeError();
    m_.exports.resize(*n);
    for (uint32_t i = 0; i < *n; i++) {
      setContext("export", "export", i);
      Export& e = m_.exports[i];
      e.offset = r.offset();
      if (!r.readName(e.name)) return fail(r);
      uint32_t at = r.offset();
      uint8_t kind;
      if (!r.readByte(kind)) return fail(r);
      if (kind > 3) return fail(r, at, "malformed export kind");
      e.kind = static_cast<ExternKind>(kind);
      if (!r.readU32(e.index)) return fail(r);
    }
    return success();
  }

  Result<void> decodeStart(Reader& r) {
    m_.startOffset = r.offset();
    uint32_t f;
    if (!r.readU32(f)) return fail(r);
    m_.start = f;
    return success();
  }

  Result<void> decodeElements(Reader& r) {
    auto n = readCountLimited(r, limits::kMaxElemSegments, "element segments");
    if (!n) return n.takeError();
    m_.elems.resize(*n);
    uint64_t totalEntries = 0;
    for (uint32_t i = 0; i < *n; i++) {
      setContext("element", "segment", i);
      ElemSegment& seg = m_.elems[i];
      uint32_t at = r.offset();
      seg.offset = at;
      uint32_t flags;
      if (!r.readU32(flags)) return fail(r);
      if (flags > 7) return fail(r, at, "malformed elements segment kind");
      const bool passiveOrDeclarative = flags & 1;
      const bool explicitTable = flags & 2;
      seg.usesExprs = flags & 4;
      if (passiveOrDeclarative) {
        seg.mode = explicitTable ? SegmentMode::Declarative : SegmentMode::Passive;
      } else {
        seg.mode = SegmentMode::Active;
        if (explicitTable && !r.readU32(seg.table)) return fail(r);
        auto offset = readConstExpr(r);
        if (!offset) return offset.takeError();
        seg.offsetExpr = *offset;
      }
      // Forms 0 and 4 imply funcref; the others name an elemkind or reftype.
      if (flags & 3) {
        if (seg.usesExprs) {
          auto t = readRefType(r);
          if (!t) return t.takeError();
          seg.type = *t;
        } else {
          uint32_t kat = r.offset();
          uint8_t kind;
          if (!r.readByte(kind)) return fail(r);
          if (kind != 0x00) return fail(r, kat, "malformed element kind");
          seg.type = ValType::FuncRef;
        }
      }
      auto count = readCountLimited(r, limits::kMaxTableInitEntries, "element entries");
      if (!count) return count.takeError();
      totalEntries += *count;
      if (totalEntries > limits::kMaxTableInitEntries) {
        return fail(r, at, "too many element entries in the module");
      }
      if (seg.usesExprs) {
        seg.exprs.reserve(*count);
        for (uint32_t k = 0; k < *count; k++) {
          auto e = readConstExpr(r);
          if (!e) return e.takeError();
          seg.exprs.push_back(*e);
        }
      } else {
        seg.funcIndices.resize(*count);
        for (uint32_t k = 0; k < *count; k++) {
          if (!r.readU32(seg.funcIndices[k])) return fail(r);
        }
      }
    }
    return success();
  }

  Result<void> decodeCode(Reader& r) {
    m_.codeSectionOffset = r.offset();
    m_.codeSectionSize = static_cast<uint32_t>(r.remaining());
    uint32_t at = r.offset();
    uint32_t n;
    if (!r.readCount(n, 1)) return fail(r);
    if (n != m_.numDefinedFunctions()) {
      return fail(r, at, "function and code section have inconsistent lengths");
    }
    m_.bodies.resize(n);
    for (uint32_t i = 0; i < n; i++) {
      setContext("code", "function", m_.numImportedFunctions + i);
      uint32_t sizeAt = r.offset();
      uint32_t size;
      if (!r.readU32(size)) return fail(r);
      if (size > limits::kMaxFunctionSize) {
        return fail(r, sizeAt, "function body too large (" + std::to_string(size) + " bytes)");
      }
      if (size > r.remaining()) return fail(r, sizeAt, "unexpected end (function body)");
      if (size == 0) return fail(r, sizeAt, "unexpected end (empty function body)");
      m_.bodies[i] = FunctionBody{r.offset(), size};
      r.skip(size);
    }
    return success();
  }

  Result<void> decodeData(Reader& r) {
    auto n = readCountLimited(r, limits::kMaxDataSegments, "data segments");
    if (!n) return n.takeError();
    m_.datas.resize(*n);
    for (uint32_t i = 0; i < *n; i++) {
      setContext("data", "segment", i);
      DataSegment& d = m_.datas[i];
      uint32_t at = r.offset();
      d.offset = at;
      uint32_t flags;
      if (!r.readU32(flags)) return fail(r);
      if (flags > 2) return fail(r, at, "malformed data segment kind");
      if (flags == 1) {
        d.mode = SegmentMode::Passive;
      } else {
        d.mode = SegmentMode::Active;
        if (flags == 2 && !r.readU32(d.memory)) return fail(r);
        auto offset = readConstExpr(r);
        if (!offset) return offset.takeError();
        d.offsetExpr = *offset;
      }
      uint32_t sizeAt = r.offset();
      uint32_t size;
      if (!r.readU32(size)) return fail(r);
      if (size > r.remaining()) return fail(r, sizeAt, "unexpected end of section or function");
      d.dataOffset = r.offset();
      d.dataSize = size;
      r.skip(size);
    }
    return success();
  }

  Result<void> decodeDataCount(Reader& r) {
    uint32_t n;
    if (!r.readU32(n)) return fail(r);
    m_.dataCount = n;
    return success();
  }

  Module& m_;
  const Features& features_;
  const char* context_ = "";
  const char* entry_ = nullptr;
  uint32_t entryIndex_ = 0;
  bool sectionContext_ = false;
};

}  // namespace

Result<Module> decodeModule(std::vector<uint8_t> bytes, const Features& features) {
  Module m;
  m.ownedBytes = std::move(bytes);
  m.bytes = m.ownedBytes;
  ModuleDecoder decoder(m, features);
  WISP_TRY(decoder.decode());
  return m;
}

Result<Module> decodeModuleView(std::span<const uint8_t> bytes, const Features& features) {
  Module m;
  m.bytes = bytes;
  ModuleDecoder decoder(m, features);
  WISP_TRY(decoder.decode());
  return m;
}

}  // namespace wisp::decoder
