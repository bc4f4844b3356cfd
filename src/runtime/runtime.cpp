// Store, Instance, Linker and host functions.
#include "runtime/runtime.h"

#include "decoder/reader.h"

#include <charconv>
#include <cinttypes>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace wisp::runtime {

extern const void* const kHelperTable[jit::kNumHelpers];

namespace {
std::mutex& interruptMutex() {
  static std::mutex m;
  return m;
}

// Reads a typed value out of a global cell and writes one in.
Value readCell(const jit::GlobalCell& c, ValType t) {
  switch (t) {
    case ValType::I32:
      return Value::i32(c.i32);
    case ValType::I64:
      return Value::i64(c.i64);
    case ValType::F32:
      return Value::f32Bits(c.i32);
    case ValType::F64:
      return Value::f64Bits(c.i64);
    case ValType::V128: {
      uint64_t lo, hi;
      std::memcpy(&lo, c.v128, 8);
      std::memcpy(&hi, c.v128 + 8, 8);
      return Value::v128(lo, hi);
    }
    default:
      return Value::ref(t, c.ref);
  }
}
void writeCell(jit::GlobalCell& c, const Value& v) {
  std::memset(&c, 0, sizeof c);
  if (v.type == ValType::V128) {
    std::memcpy(c.v128, &v.lo, 8);
    std::memcpy(c.v128 + 8, &v.hi, 8);
  } else if (v.type == ValType::I32 || v.type == ValType::F32) {
    c.i32 = static_cast<uint32_t>(v.lo);
  } else {
    c.i64 = v.lo;
  }
}
}  // namespace

Trap hostTrap(TrapKind kind, std::string message) {
  Trap t;
  t.kind = kind;
  t.message = std::move(message);
  return t;
}

// ---- Value, GlobalRef, Caller ----------------------------------------------------------

std::string Value::toString() const {
  char buf[64];
  switch (type) {
    case ValType::I32:
      return std::to_string(static_cast<int32_t>(lo));
    case ValType::I64:
      return std::to_string(static_cast<int64_t>(lo));
    case ValType::F32: {
      auto r = std::to_chars(buf, buf + sizeof buf, asF32());
      return std::string(buf, r.ptr);
    }
    case ValType::F64: {
      auto r = std::to_chars(buf, buf + sizeof buf, asF64());
      return std::string(buf, r.ptr);
    }
    case ValType::V128:
      std::snprintf(buf, sizeof buf, "0x%016" PRIx64 "%016" PRIx64, hi, lo);
      return buf;
    default:
      if (lo == 0) return "null";
      std::snprintf(buf, sizeof buf, "ref(0x%" PRIxPTR ")", static_cast<uintptr_t>(lo));
      return buf;
  }
}

Value GlobalRef::get() const { return readCell(*cell, type.type); }
void GlobalRef::set(const Value& v) { writeCell(*cell, v); }

LinearMemory* Caller::memory() const {
  Instance* i = instance();
  return i ? i->memory() : nullptr;
}
Store* Caller::store() const {
  Instance* i = instance();
  return i ? &i->store() : nullptr;
}

// ---- HostFunction ---------------------------------------------------------------------

HostFunction::HostFunction(Engine& engine, FuncType type, HostCallback callback)
    : type_(std::move(type)), callback_(std::move(callback)) {
  data_.callback = &HostFunction::trampoline;
  const uint32_t id = engine.internType(type_);
  ref_ = jit::FuncRef{engine.exitStub(id), &data_, id, jit::FuncRef::kHostFunction};
}

HostFunction::HostFunction(Engine& engine, FuncType type, RawHostCallback callback, void* data)
    : type_(std::move(type)), raw_(callback), rawData_(data) {
  data_.callback = &HostFunction::trampoline;
  const uint32_t id = engine.internType(type_);
  ref_ = jit::FuncRef{engine.exitStub(id), &data_, id, jit::FuncRef::kHostFunction};
}

HostResult HostFunction::invoke(Caller& caller, jit::RawValue* values) {
  if (raw_) return raw_(caller, values, rawData_);
  const auto params = type_.params();
  const auto results = type_.results();
  Value args[16];
  Value outs[16];
  std::vector<Value> bigArgs, bigOuts;
  Value* a = args;
  Value* o = outs;
  if (params.size() > 16) {
    bigArgs.resize(params.size());
    a = bigArgs.data();
  }
  if (results.size() > 16) {
    bigOuts.resize(results.size());
    o = bigOuts.data();
  }
  for (size_t i = 0; i < params.size(); i++) a[i] = Value::fromRaw(params[i], values[i]);
  for (size_t i = 0; i < results.size(); i++) o[i] = Value::zero(results[i]);
  HostResult r = callback_(caller, a, o);
  if (r.kind == TrapKind::None) {
    for (size_t i = 0; i < results.size(); i++) values[i] = o[i].raw();
  }
  return r;
}

void HostFunction::trampoline(void* hostData, void* callerContext, jit::RawValue* values) {
  TrapKind kind;
  int32_t exitCode;
  std::string* message;
  {
    // Everything with a destructor lives in this scope, which ends before unwinding.
    auto* self = reinterpret_cast<HostFunction*>(hostData);
    Caller caller(callerContext);
    HostResult r = self->invoke(caller, values);
    if (r.kind == TrapKind::None) return;
    kind = r.kind;
    exitCode = r.exitCode;
    message = new std::string(std::move(r.message));
  }
  jit::EntryRecord* rec = currentEntry();
  rec->hostError = message;
  rec->trap = kind;
  rec->exitCode = exitCode;
  rec->trapWasmOffset = UINT32_MAX;
  rec->trapPc = 0;
  reinterpret_cast<jit::UnwindRoutine>(const_cast<void*>(rec->unwind))(rec);
}

// ---- Store ------------------------------------------------------------------------------

Store::Store(Engine& engine, StoreLimits limits) : engine_(engine), limits_(limits) {}

Store::~Store() = default;

Instance* Store::adopt(std::unique_ptr<Instance> instance) {
  std::lock_guard<std::mutex> lock(interruptMutex());
  instances_.push_back(std::move(instance));
  return instances_.back().get();
}

void Store::interrupt() {
  std::lock_guard<std::mutex> lock(interruptMutex());
  interrupted_.store(true);
  for (auto& i : instances_) {
    if (i->context()) __atomic_store_n(&i->context()->stackLimit, UINTPTR_MAX, __ATOMIC_RELAXED);
  }
}

void Store::clearInterrupt() {
  std::lock_guard<std::mutex> lock(interruptMutex());
  interrupted_.store(false);
  for (auto& i : instances_) {
    if (i->context()) i->context()->stackLimit = i->context()->realStackLimit;
  }
}

void Store::setStackLimits(uintptr_t limit) {
  std::lock_guard<std::mutex> lock(interruptMutex());
  const bool stop = interrupted_.load();
  for (auto& i : instances_) {
    jit::VMContextHeader* ctx = i->context();
    if (!ctx) continue;
    ctx->realStackLimit = limit;
    __atomic_store_n(&ctx->stackLimit, stop ? UINTPTR_MAX : limit, __ATOMIC_RELAXED);
  }
}

Result<LinearMemory*> Store::createMemory(const MemoryType& type) {
  auto m = LinearMemory::create(type, limits_.maxMemoryPages);
  if (!m) return m.takeError();
  memories_.push_back(std::move(m).value());
  return memories_.back().get();
}

Table* Store::createTable(const TableType& type, uintptr_t init) {
  uint32_t max = limits_.maxTableElements;
  if (type.limits.hasMax && type.limits.max < max) max = static_cast<uint32_t>(type.limits.max);
  tables_.push_back(std::make_unique<Table>(type, max, init));
  return tables_.back().get();
}

GlobalRef Store::createGlobal(const GlobalType& type, const Value& value) {
  globals_.push_back(std::make_unique<jit::GlobalCell>());
  GlobalRef g{globals_.back().get(), type};
  g.set(value);
  return g;
}

Trap Store::makeTrap(const jit::EntryRecord& rec) const {
  Trap t;
  t.kind = rec.trap;
  t.exitCode = rec.exitCode;
  if (rec.hostError) {
    auto* msg = static_cast<std::string*>(rec.hostError);
    t.message = std::move(*msg);
    delete msg;
  } else {
    t.message = jit::trapMessage(rec.trap);
  }
  if (rec.trapPc) {
    if (const jit::CompiledCode* code = findCode(rec.trapPc)) {
      t.functionIndex = code->functionAt(rec.trapPc);
      if (t.functionIndex >= 0 && code->module) {
        auto it = code->module->functionNames.find(static_cast<uint32_t>(t.functionIndex));
        if (it != code->module->functionNames.end()) t.functionName = it->second;
      }
      t.wasmOffset =
          rec.trapWasmOffset != UINT32_MAX ? rec.trapWasmOffset : code->callSiteAt(rec.trapPc);
    }
  }
  return t;
}

CallResult Store::call(const jit::FuncRef* f, std::span<const Value> args) {
  CallResult result;
  if (!f) {
    result.trap = hostTrap(TrapKind::HostError, "call of a null function reference");
    return result;
  }
  const FuncType& type = engine_.typeOf(f->typeId);
  if (args.size() != type.numParams) {
    result.trap = hostTrap(TrapKind::HostError, "wrong number of arguments: expected " +
                                                    std::to_string(type.numParams) + ", got " +
                                                    std::to_string(args.size()));
    return result;
  }
  for (size_t i = 0; i < args.size(); i++) {
    if (args[i].type != type.types[i]) {
      result.trap = hostTrap(TrapKind::HostError, std::string("argument ") + std::to_string(i) +
                                                      " has type " + valTypeName(args[i].type) +
                                                      ", expected " + valTypeName(type.types[i]));
      return result;
    }
  }
  const size_t slots = std::max<size_t>({type.numParams, type.numResults(), 1});
  std::vector<jit::RawValue> values(slots);
  for (size_t i = 0; i < args.size(); i++) values[i] = args[i].raw();

  if (f->flags & jit::FuncRef::kHostFunction) {
    auto* host = static_cast<HostFunction*>(f->ctx);
    Caller caller(nullptr);
    HostResult r = host->invoke(caller, values.data());
    if (r.kind != TrapKind::None) {
      result.trap = hostTrap(r.kind, r.message);
      result.trap->exitCode = r.exitCode;
      return result;
    }
  } else {
    jit::EntryRecord rec;
    rec.unwind = engine_.unwindRoutine();
    rec.prev = currentEntry();
    if (depth_ == 0) {
      ensureSignalStack();
      // Leave room for host functions and signal handling below wasm frames.
      constexpr uintptr_t kHostReserve = 256 * 1024;
      const uintptr_t sp = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
      uintptr_t limit = threadStackLow() + kHostReserve;
      if (sp > limits_.maxWasmStack && sp - limits_.maxWasmStack > limit) {
        limit = sp - limits_.maxWasmStack;
      }
      setStackLimits(limit);
    }
    depth_++;
    currentEntry() = &rec;
    const uint32_t status = engine_.entryStub(f->typeId)(f->ctx, f->code, values.data(), &rec);
    currentEntry() = rec.prev;
    depth_--;
    if (status != 0) {
      result.trap = makeTrap(rec);
      return result;
    }
  }
  const auto results = type.results();
  result.values.reserve(results.size());
  for (size_t i = 0; i < results.size(); i++) {
    result.values.push_back(Value::fromRaw(results[i], values[i]));
  }
  return result;
}

// ---- Instance -----------------------------------------------------------------------------

Instance::Instance(Store& store, std::shared_ptr<Module> module)
    : store_(store), module_(std::move(module)) {}

Instance::~Instance() { std::free(ctx_); }

const jit::FuncRef* Instance::funcRef(uint32_t funcIndex) const {
  auto** refs = reinterpret_cast<const jit::FuncRef**>(reinterpret_cast<uint8_t*>(ctx_) +
                                                       module_->code().layout.funcRefs);
  return refs[funcIndex];
}

GlobalRef Instance::global(uint32_t index) const {
  const decoder::Module& m = module_->decl();
  const jit::VMContextLayout& L = module_->code().layout;
  uint8_t* base = reinterpret_cast<uint8_t*>(ctx_);
  GlobalRef g;
  g.type = m.globals[index].type;
  if (index < m.numImportedGlobals) {
    g.cell = *reinterpret_cast<jit::GlobalCell**>(base + L.importedGlobal(index));
  } else {
    g.cell =
        reinterpret_cast<jit::GlobalCell*>(base + L.definedGlobal(index - m.numImportedGlobals));
  }
  return g;
}

Value Instance::evalConst(const decoder::ConstExpr& e) const {
  using Kind = decoder::ConstExpr::Kind;
  switch (e.kind) {
    case Kind::I32:
      return Value::i32(static_cast<uint32_t>(e.value));
    case Kind::I64:
      return Value::i64(e.value);
    case Kind::F32:
      return Value::f32Bits(static_cast<uint32_t>(e.value));
    case Kind::F64:
      return Value::f64Bits(e.value);
    case Kind::V128:
      return Value::v128(e.value, e.high);
    case Kind::RefNull:
      return Value::ref(e.type, 0);
    case Kind::RefFunc:
      return Value::ref(ValType::FuncRef,
                        reinterpret_cast<uintptr_t>(funcRef(static_cast<uint32_t>(e.value))));
    case Kind::GlobalGet:
      return global(static_cast<uint32_t>(e.value)).get();
    case Kind::Complex:
      break;
  }
  // Extended constant expressions: a small stack machine over the validated bytes.
  const auto& bytes = module_->decl().bytes;
  decoder::Reader r(bytes.data(), bytes.data() + e.offset, bytes.data() + e.offset + e.size);
  std::vector<Value> stack;
  for (;;) {
    uint8_t op = 0;
    (void)r.readByte(op);
    if (op == 0x0B) break;
    switch (op) {
      case 0x41: {
        int32_t v = 0;
        (void)r.readS32(v);
        stack.push_back(Value::i32(static_cast<uint32_t>(v)));
        break;
      }
      case 0x42: {
        int64_t v = 0;
        (void)r.readS64(v);
        stack.push_back(Value::i64(static_cast<uint64_t>(v)));
        break;
      }
      case 0x23: {
        uint32_t g = 0;
        (void)r.readU32(g);
        stack.push_back(global(g).get());
        break;
      }
      case 0xD2: {
        uint32_t f = 0;
        (void)r.readU32(f);
        stack.push_back(Value::ref(ValType::FuncRef, reinterpret_cast<uintptr_t>(funcRef(f))));
        break;
      }
      default: {  // i32/i64 add, sub, mul
        Value b = stack.back();
        stack.pop_back();
        Value& a = stack.back();
        const bool is32 = op < 0x70;
        const uint8_t kind = is32 ? op - 0x6A : op - 0x7C;
        uint64_t x = a.lo, y = b.lo;
        uint64_t z = kind == 0 ? x + y : kind == 1 ? x - y : x * y;
        a = is32 ? Value::i32(static_cast<uint32_t>(z)) : Value::i64(z);
        break;
      }
    }
  }
  return stack.empty() ? Value() : stack.back();
}

Result<void> Instance::initialize(const std::vector<Extern>& imports) {
  const decoder::Module& m = module_->decl();
  const jit::CompiledCode& code = module_->code();
  const jit::VMContextLayout& L = code.layout;
  ctx_ = static_cast<jit::VMContextHeader*>(std::aligned_alloc(16, L.size));
  if (!ctx_) return Error{"out of memory allocating an instance", ErrorCode::ResourceLimit};
  std::memset(static_cast<void*>(ctx_), 0, L.size);
  uint8_t* base = reinterpret_cast<uint8_t*>(ctx_);
  ctx_->instance = this;
  ctx_->fuel = store_.fuelCounter();
  std::memcpy(ctx_->helpers, kHelperTable, sizeof kHelperTable);

  auto** funcRefs = reinterpret_cast<const jit::FuncRef**>(base + L.funcRefs);
  auto** tableRefs = reinterpret_cast<jit::TableInstance**>(base + L.tables);
  auto** importedGlobals = reinterpret_cast<jit::GlobalCell**>(base + L.importedGlobals);

  // Imports, in the order of the import section (index spaces start with them).
  uint32_t funcs = 0, globals = 0;
  for (size_t i = 0; i < m.imports.size(); i++) {
    const Extern& e = imports[i];
    switch (m.imports[i].kind) {
      case ExternKind::Func:
        funcRefs[funcs++] = e.func;
        break;
      case ExternKind::Table:
        tables_.push_back(e.table);
        break;
      case ExternKind::Memory:
        memory_ = e.memory;
        break;
      case ExternKind::Global:
        importedGlobals[globals++] = e.global.cell;
        break;
    }
  }
  // Defined functions.
  ownFuncRefs_.resize(m.numDefinedFunctions());
  for (uint32_t k = 0; k < m.numDefinedFunctions(); k++) {
    const uint32_t index = m.numImportedFunctions + k;
    ownFuncRefs_[k] =
        jit::FuncRef{code.functionCode(index), ctx_, module_->functionTypeId(index), 0};
    funcRefs[index] = &ownFuncRefs_[k];
  }
  // Defined tables and memory, within the store's limits.
  const StoreLimits& limits = store_.limits();
  for (size_t i = m.numImportedTables; i < m.tables.size(); i++) {
    const TableType& t = m.tables[i];
    uint64_t max = limits.maxTableElements;
    if (t.limits.hasMax && t.limits.max < max) max = t.limits.max;
    if (t.limits.min > max) {
      return Error{"table of " + std::to_string(t.limits.min) + " elements exceeds the limit of " +
                       std::to_string(max),
                   ErrorCode::ResourceLimit};
    }
    ownTables_.push_back(std::make_unique<Table>(t, static_cast<uint32_t>(max), 0));
    tables_.push_back(ownTables_.back().get());
  }
  auto** tableElements = reinterpret_cast<uintptr_t**>(base + L.tableElements);
  for (size_t i = 0; i < tables_.size(); i++) {
    tableRefs[i] = tables_[i]->instance();
    tableElements[i] = tables_[i]->data();  // read by compiled code for fixed-size tables only
  }
  if (m.memories.size() > m.numImportedMemories) {
    auto mem = LinearMemory::create(m.memories[m.numImportedMemories], limits.maxMemoryPages,
                                    store_.engine().memoryPool(), module_->dataImage(),
                                    module_->memoryCache());
    if (!mem) return mem.takeError();
    ownMemory_ = std::move(mem).value();
    memory_ = ownMemory_.get();
  }
  if (memory_) {
    ctx_->memoryBase = memory_->base();
    ctx_->memory0 = memory_->instance();
  }
  if (!module_->typeIds().empty()) {
    std::memcpy(base + L.typeIds, module_->typeIds().data(), 4 * module_->typeIds().size());
  }
  // Defined globals, in order (an initializer may read imported globals only).
  for (uint32_t g = m.numImportedGlobals; g < m.globals.size(); g++) {
    global(g).set(evalConst(m.globals[g].init));
  }

  // Element segments: evaluate all, then run active ones (table.init + elem.drop).
  elemSegments_.resize(m.elems.size());
  for (size_t s = 0; s < m.elems.size(); s++) {
    const decoder::ElemSegment& seg = m.elems[s];
    std::vector<uintptr_t>& refs = elemSegments_[s];
    refs.reserve(seg.size());
    if (seg.usesExprs) {
      for (const auto& e : seg.exprs) refs.push_back(evalConst(e).asRef());
    } else {
      for (uint32_t f : seg.funcIndices) refs.push_back(reinterpret_cast<uintptr_t>(funcRef(f)));
    }
  }
  for (size_t s = 0; s < m.elems.size(); s++) {
    const decoder::ElemSegment& seg = m.elems[s];
    if (seg.mode == decoder::SegmentMode::Active) {
      const uint32_t offset = evalConst(seg.offsetExpr).asI32();
      Table* t = tables_[seg.table];
      const auto& refs = elemSegments_[s];
      if (uint64_t{offset} + refs.size() > t->size()) {
        return Error{"out of bounds table access (element segment " + std::to_string(s) + ")",
                     ErrorCode::Runtime};
      }
      if (!refs.empty())
        std::memcpy(t->data() + offset, refs.data(), refs.size() * sizeof(uintptr_t));
    }
    if (seg.mode != decoder::SegmentMode::Passive) dropElem(static_cast<uint32_t>(s));
  }
  // Data segments.
  dataDropped_.assign(m.datas.size(), false);
  const bool imaged = ownMemory_ && ownMemory_->fromImage();
  for (size_t s = 0; s < m.datas.size(); s++) {
    const decoder::DataSegment& d = m.datas[s];
    if (d.mode != decoder::SegmentMode::Active) continue;
    if (imaged) {  // already in place, mapped from the module's data image
      dataDropped_[s] = true;
      continue;
    }
    const uint32_t offset = evalConst(d.offsetExpr).asI32();
    if (!memory_ || !memory_->inBounds(offset, d.dataSize)) {
      return Error{"out of bounds memory access (data segment " + std::to_string(s) + ")",
                   ErrorCode::Runtime};
    }
    std::memcpy(memory_->base() + offset, m.bytes.data() + d.dataOffset, d.dataSize);
    dataDropped_[s] = true;
  }
  if (m.start) {
    CallResult r = store_.call(funcRef(*m.start), {});
    if (!r.ok()) return Error{"start function: " + r.trap->toString(), ErrorCode::Runtime};
  }
  return success();
}

std::optional<Extern> Instance::getExport(std::string_view name) const {
  const decoder::Export* e = module_->findExport(name);
  if (!e) return std::nullopt;
  switch (e->kind) {
    case ExternKind::Func:
      return Extern::function(funcRef(e->index));
    case ExternKind::Table:
      return Extern::ofTable(tables_[e->index]);
    case ExternKind::Memory:
      return Extern::ofMemory(memory_);
    case ExternKind::Global:
      return Extern::ofGlobal(global(e->index));
  }
  return std::nullopt;
}

const jit::FuncRef* Instance::getFunction(std::string_view name) const {
  auto e = getExport(name);
  return e && e->kind == ExternKind::Func ? e->func : nullptr;
}

// ---- Linker ---------------------------------------------------------------------------------

void Linker::define(const std::string& module, const std::string& name, const Extern& e) {
  definitions_[key(module, name)] = Definition{e, nullptr};
}

std::shared_ptr<HostFunction> Linker::defineFunction(const std::string& module,
                                                     const std::string& name, const FuncType& type,
                                                     HostCallback callback) {
  auto f = std::make_shared<HostFunction>(engine_, type, std::move(callback));
  definitions_[key(module, name)] = Definition{Extern::function(f->funcRef()), f};
  return f;
}

std::shared_ptr<HostFunction> Linker::defineRawFunction(const std::string& module,
                                                        const std::string& name,
                                                        const FuncType& type,
                                                        RawHostCallback callback, void* data) {
  auto f = std::make_shared<HostFunction>(engine_, type, callback, data);
  definitions_[key(module, name)] = Definition{Extern::function(f->funcRef()), f};
  return f;
}

void Linker::defineInstance(const std::string& name, const Instance& instance) {
  for (const decoder::Export& e : instance.module().decl().exports) {
    if (auto x = instance.getExport(e.name)) define(name, e.name, *x);
  }
}

namespace {
bool limitsMatch(uint64_t actualMin, bool actualHasMax, uint64_t actualMax, const Limits& wanted) {
  if (actualMin < wanted.min) return false;
  if (wanted.hasMax && (!actualHasMax || actualMax > wanted.max)) return false;
  return true;
}
}  // namespace

Result<Instance*> Linker::instantiate(Store& store, std::shared_ptr<Module> module) {
  auto pre = prepare(std::move(module));
  if (!pre) return pre.takeError();
  return (*pre)->instantiate(store);
}

Result<std::shared_ptr<InstancePre>> Linker::prepare(std::shared_ptr<Module> module) const {
  const decoder::Module& m = module->decl();
  std::vector<Extern> imports;
  imports.reserve(m.imports.size());
  std::vector<std::shared_ptr<HostFunction>> hosts;
  for (size_t i = 0; i < m.imports.size(); i++) {
    const decoder::Import& im = m.imports[i];
    const std::string where = "import \"" + im.module + "\" \"" + im.name + "\"";
    auto it = definitions_.find(key(im.module, im.name));
    if (it == definitions_.end()) return Error{"unknown import: " + where, ErrorCode::Link};
    const Extern& e = it->second.value;
    if (e.kind != im.kind) {
      return Error{std::string("incompatible import type: ") + where + " expects a " +
                       externKindName(im.kind) + ", got a " + externKindName(e.kind),
                   ErrorCode::Link};
    }
    bool ok = true;
    switch (im.kind) {
      case ExternKind::Func:
        ok = e.func && e.func->typeId == module->typeIds()[im.funcType];
        break;
      case ExternKind::Table:
        ok = e.table->elemType() == im.table.elemType &&
             limitsMatch(e.table->size(), e.table->type().limits.hasMax, e.table->type().limits.max,
                         im.table.limits);
        break;
      case ExternKind::Memory:
        ok = limitsMatch(e.memory->pages(), e.memory->type().limits.hasMax,
                         e.memory->type().limits.max, im.memory.limits);
        break;
      case ExternKind::Global:
        ok = e.global.type.type == im.global.type && e.global.type.isMutable == im.global.isMutable;
        break;
    }
    if (!ok) return Error{"incompatible import type: " + where, ErrorCode::Link};
    imports.push_back(e);
    if (it->second.host) hosts.push_back(it->second.host);
  }
  auto pre = std::make_shared<InstancePre>();
  pre->module_ = std::move(module);
  pre->imports_ = std::move(imports);
  pre->hosts_ = std::move(hosts);
  return pre;
}

Result<Instance*> InstancePre::instantiate(Store& store) const {
  std::unique_ptr<Instance> instance(new Instance(store, module_));
  instance->hostImports_ = hosts_;
  Instance* raw = store.adopt(std::move(instance));
  WISP_TRY(raw->initialize(imports_));
  return raw;
}

}  // namespace wisp::runtime
