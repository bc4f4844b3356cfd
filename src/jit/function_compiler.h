// The single-pass code generator: a listener of validator::FunctionValidator, so the
// one pass that validates a function body also compiles it. ISA-neutral: it keeps the
// abstract machine state (where each local and operand lives: register, constant or
// stack slot), allocates registers, and reconciles states where control flow merges;
// the Masm template parameter emits the machine code.
//
// Register allocation follows V8's Liftoff: values stay in registers across
// instructions; a register may be shared by several entries (a local and copies of
// it); registers are spilled at calls, at merges whose state says so, and under
// pressure. A local read from its slot is cached in the register it was loaded into.
// Constants are materialized lazily and folded into immediates.
#pragma once

#include <algorithm>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "decoder/module.h"
#include "decoder/opcodes.h"
#include "jit/calling_convention.h"
#include "jit/macro_assembler.h"
#include "jit/value_state.h"
#include "jit/vmcontext.h"
#include "validator/function_validator.h"

namespace wisp::jit {

/// Read-only information shared by all function compilations of one module.
struct CompileEnvironment {
  const decoder::Module* module = nullptr;
  VMContextLayout layout;
  std::vector<CallSignature> signatures;  // by type index
  bool fuel = false;                      // meter fuel: one unit per instruction
};

template <typename Masm>
class FunctionCompiler {
 public:
  using Label = typename Masm::Label;

  /// Per control frame: its label, and the indices of its merge state and saved
  /// else-state in this compiler's pools.
  struct FrameData {
    Label label;
    Label elseLabel;
    int32_t merge = -1;
    int32_t elseState = -1;
    /// The br_table (numbered per compiler) that last targeted this frame, and the
    /// entry label it used.
    uint32_t brTableMark = 0;
    Label brTableEntry;
  };
  using Frame = validator::ControlFrame<FrameData>;
  static constexpr bool kCanFail = true;
  bool failed() const { return !error_.empty(); }

  FunctionCompiler(const CompileEnvironment& env, Masm& masm)
      : env_(env), m_(*env.module), masm_(masm), bytes_(env.module->bytes.data()) {}

  /// Starts a function: its metadata goes to `sink`. Buffers are kept between
  /// functions.
  void begin(uint32_t funcIndex, CodeSink& sink) {
    funcIndex_ = funcIndex;
    out_ = &sink;
    lowestSlot_ = Masm::kFirstLocalSlot;
    outgoingBytes_ = 0;
    offset_ = 0;
    traps_.clear();
    crossCalls_.clear();
    mergesUsed_ = 0;
    freeMerges_.clear();
    useClock_ = 0;
    lastSpill_ = 0;
    flagsPending_ = false;
    ops_ = 0;
    opsCharged_ = 0;
    loops_.clear();
    nextLoop_ = 0;
    error_.clear();
  }

  // ==== listener interface: function ===============================================

  void onFunctionStart(const FuncType& type, std::span<const ValType> locals) {
    const CallSignature& sig = env_.signatures[m_.functions[funcIndex_]];
    sig_ = &sig;
    st_.reset(static_cast<uint32_t>(locals.size()));
    st_.slots.resize(locals.size());
    lastUse_.assign(locals.size(), 0);
    numLocalsOfClass_[0] = numLocalsOfClass_[1] = 0;
    int32_t next = Masm::kFirstLocalSlot;
    int32_t paramsEnd = next;
    for (uint32_t i = 0; i < locals.size(); i++) {
      VarState& v = st_.slots[i];
      v.type = locals[i];
      numLocalsOfClass_[static_cast<int>(regClassOf(v.type))]++;
      if (i < type.numParams && !sig.params[i].inRegister) {
        v.slot = Masm::kIncomingArgs + static_cast<int32_t>(sig.params[i].stackOffset);
        v.loc = VarState::Stack;
        continue;
      }
      next -= static_cast<int32_t>(stackSlotSize(v.type));
      v.slot = next;
      if (i < type.numParams) {
        st_.setRegister(v, sig.params[i].reg);
        paramsEnd = next;
      } else {
        // Declared locals start at zero: a constant for code generation, and zeroed
        // in the frame by the prologue so merges and calls never need to store them.
        v.loc = VarState::Const;
        v.constant = 0;
        v.synced = true;
        st_.cachedLocals.set(i, true);
      }
    }
    localsEnd_ = next;
    noteSlot(next);
    stackCheck_ = masm_.newLabel();
    functionOffset_ = m_.bodies[funcIndex_ - m_.numImportedFunctions].offset;
    masm_.prologue(stackCheck_);
    masm_.zeroSlots(localsEnd_, paramsEnd);
  }

  Result<void> finish() {
    if (!error_.empty()) {
      return Error{m_.functionDisplayName(funcIndex_) + ": " + error_, ErrorCode::Unsupported};
    }
    // Out-of-line stubs: stack exhaustion / interruption, then one short stub per trap
    // site (its wasm offset) jumping to a stub per trap kind shared by the function.
    masm_.bind(stackCheck_);
    masm_.stackCheckStub(functionOffset_);
    // call_indirect's calls into other instances (see MacroAssembler::callIndirect).
    for (const CrossInstanceCall& c : crossCalls_) {
      masm_.bind(c.stub);
      masm_.callCrossInstance();
      out_->callSites.push_back(CodeSite{masm_.offset(), c.wasmOffset});
      masm_.restoreInstance();
      masm_.jump(c.back);
    }
    constexpr size_t kKinds = static_cast<size_t>(TrapKind::Exit) + 1;
    Label common[kKinds];
    bool used[kKinds] = {};
    for (const TrapStub& t : traps_) {
      const size_t k = static_cast<size_t>(t.kind);
      if (!used[k]) {
        common[k] = masm_.newLabel();
        used[k] = true;
      }
      masm_.bind(t.label);
      masm_.trapSite(t.wasmOffset, common[k]);
    }
    for (size_t k = 0; k < kKinds; k++) {
      if (!used[k]) continue;
      masm_.bind(common[k]);
      masm_.trapCommon(static_cast<TrapKind>(k));
    }
    return success();
  }

  /// Depth of locals and spill slots below the first local slot's top.
  uint32_t spillBytes() const {
    return lowestSlot_ < Masm::kFirstLocalSlot
               ? static_cast<uint32_t>(Masm::kFirstLocalSlot - lowestSlot_)
               : 0;
  }
  uint32_t outgoingBytes() const { return outgoingBytes_; }
  void fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
  }

  void atOffset(uint32_t offset) {
    offset_ = offset;
    ops_++;
    if (flagsPending_) [[unlikely]] {
      if (!st_.slots.empty() && st_.slots.back().loc == VarState::Flags) {
        // A pending comparison survives only into the instructions that consume flags.
        const uint8_t next = bytes_[offset];
        if (next != 0x0D && next != 0x04 && next != 0x1B && next != 0x1C && next != 0x45) {
          materializeFlags();
        }
      } else {
        flagsPending_ = false;  // consumed
      }
    }
  }

  // ==== control =====================================================================

  void onBlock(Frame& f) { f.label = masm_.newLabel(); }

  void onLoop(Frame& f) {
    chargeFuel();
    f.label = masm_.newLabel();
    loopHasCall_ = loopContainsCall(offset_);
    f.merge = initMerge(f.height, f.sig.numParams, true);
    transferTo(f.merge, f.height, f.sig.numParams);
    masm_.bind(f.label);
    adoptMerge(f.merge);
    masm_.loopCheck(stackCheck_);
  }

  void onIf(Frame& f) {
    chargeFuel();
    Cond c = popCondition();
    f.label = masm_.newLabel();
    f.elseLabel = masm_.newLabel();
    f.elseState = saveState();
    masm_.jumpIf(negate(c), f.elseLabel);
  }

  void onElse(Frame& f, bool fallthroughLive) {
    endRun(fallthroughLive);
    if (fallthroughLive) branchTo(f);
    masm_.bind(f.elseLabel);
    restoreState(f.elseState);
  }

  void onEnd(Frame& f, bool fallthroughLive) {
    endRun(fallthroughLive);
    switch (f.kind) {
      case validator::FrameKind::Function:
        if (fallthroughLive) emitReturn();
        return;
      case validator::FrameKind::Loop:
        break;  // falls through with the current state
      case validator::FrameKind::If:
        // One-armed if: the missing else arm passes the parameters through.
        if (fallthroughLive) branchTo(f);
        masm_.bind(f.elseLabel);
        restoreState(f.elseState);
        endBlock(f, true);
        break;
      default:
        endBlock(f, fallthroughLive);
        break;
    }
    // Nothing can branch to an ended frame: its states are free for the next frames,
    // so a function needs as many as its deepest nesting, not as its block count.
    releaseMerge(f.merge);
    releaseMerge(f.elseState);
  }

  void onBr(Frame& t) {
    chargeFuel();
    if (t.kind == validator::FrameKind::Function) {
      emitReturn();
      return;
    }
    branchTo(t);
  }

  void onBrIf(Frame& t) {
    chargeFuel();
    Cond c = popCondition();
    if (t.kind == validator::FrameKind::Function) {
      Label skip = masm_.newLabel();
      masm_.jumpIf(negate(c), skip);
      emitReturn();
      masm_.bind(skip);
      return;
    }
    ensureMerge(t);
    collectTransfer(t.merge, t.height, t.labelArity());
    if (collectedNothing()) {
      masm_.jumpIf(c, t.label);
      return;
    }
    Label skip = masm_.newLabel();
    masm_.jumpIf(negate(c), skip);
    emitCollected();
    masm_.jump(t.label);
    masm_.bind(skip);
  }

  void onBrTable(std::span<Frame*> targets) {
    chargeFuel();
    Reg index = popToExclusiveReg(RegSet());
    const size_t n = targets.size() - 1;  // the last one is the default
    // Each distinct target gets a stub when the branch must move values first. A frame
    // seen before in this table (marked with this table's number) reuses its entry.
    const uint32_t mark = ++brTableCount_;
    brEntries_.clear();
    brStubs_.clear();
    for (size_t i = 0; i < targets.size(); i++) {
      Frame* t = targets[i];
      if (t->brTableMark == mark) {
        brEntries_.push_back(t->brTableEntry);
        continue;
      }
      t->brTableMark = mark;
      bool needsStub = true;
      if (t->kind != validator::FrameKind::Function) {
        ensureMerge(*t);
        needsStub = needsTransfer(t->merge, t->height, t->labelArity());
      }
      t->brTableEntry = needsStub ? masm_.newLabel() : t->label;
      brEntries_.push_back(t->brTableEntry);
      if (needsStub) brStubs_.push_back(t);
    }
    if (n < 4) {
      for (size_t i = 0; i < n; i++) {
        masm_.compareImm(false, index, static_cast<int32_t>(i));
        masm_.jumpIf(Cond::Eq, brEntries_[i]);
      }
      masm_.jump(brEntries_[n]);
    } else {
      masm_.jumpTable(index, std::span<const Label>(brEntries_.data(), n), brEntries_[n]);
    }
    for (Frame* t : brStubs_) {
      masm_.bind(t->brTableEntry);
      if (t->kind == validator::FrameKind::Function) {
        emitReturn();
      } else {
        transferTo(t->merge, t->height, t->labelArity());
        masm_.jump(t->label);
      }
    }
  }

  void onReturn() {
    chargeFuel();
    emitReturn();
  }

  void onUnreachable() { masm_.jump(trapLabel(TrapKind::Unreachable)); }

  // ==== fuel ========================================================================
  // With fuel metering (CompileEnvironment::fuel) each instruction costs one unit. A
  // straight run of code pays for all its instructions where it ends: before a branch,
  // call or return, and before a label others branch to. So a loop pays for its body on
  // every iteration, and a run that traps part way pays nothing more.

  void chargeFuel() {
    if (!env_.fuel) return;
    const uint32_t units = ops_ - opsCharged_;
    opsCharged_ = ops_;
    if (units == 0) return;
    // The subtraction sets the flags: a comparison waiting in them becomes a value.
    if (!st_.slots.empty() && st_.slots.back().loc == VarState::Flags) materializeFlags();
    masm_.consumeFuel(static_cast<int32_t>(units), trapLabel(TrapKind::OutOfFuel));
  }
  /// At an `else` or `end`: the run before it ends here if it falls through; if not,
  /// its instructions were paid for where it branched away.
  void endRun(bool fallthroughLive) {
    if (fallthroughLive) {
      chargeFuel();
    } else {
      opsCharged_ = ops_;
    }
  }

  // ==== calls =======================================================================

  void onCall(uint32_t funcIndex, const FuncType& type) {
    chargeFuel();
    const CallSignature& sig = env_.signatures[m_.functions[funcIndex]];
    prepareCall(type, sig);
    if (funcIndex < m_.numImportedFunctions) {
      masm_.callImport(env_.layout.funcRef(funcIndex));
    } else {
      uint32_t field = masm_.callDirect();
      out_->calls.push_back(CallRelocation{field, funcIndex});
    }
    recordCallSite();
    finishCall(type, sig);
  }

  void onCallIndirect(uint32_t typeIndex, uint32_t tableIndex, const FuncType& type) {
    chargeFuel();
    const CallSignature& sig = env_.signatures[typeIndex];
    VarState indexVar = popVar();
    spillAllBut(type.numParams);
    // The index must survive the argument moves: keep it in a register that is not a
    // parameter register and holds no argument.
    RegSet params;
    for (const auto& p : sig.params) {
      if (p.inRegister) params.add(p.reg);
    }
    RegSet candidates = Masm::kAllocatable.ofClass(RegClass::GP) - params;
    if (indexVar.inReg()) candidates.remove(indexVar.reg);  // may be shared with an argument
    RegSet freeOnes = candidates - st_.used();
    Reg index = freeOnes.empty() ? candidates.first() : freeOnes.first();
    if (freeOnes.empty()) spillRegister(index);
    materializeInto(index, indexVar);
    moveArguments(type, sig);
    // A table whose size cannot change (defined here, maximum = minimum) is bounds
    // checked against its size as an immediate, and its elements never move.
    int64_t fixedSize = -1;
    if (tableIndex >= m_.numImportedTables) {
      const Limits& l = m_.tables[tableIndex].limits;
      if (l.hasMax && l.max == l.min && !l.is64 && l.min <= INT32_MAX) {
        fixedSize = static_cast<int64_t>(l.min);
      }
    }
    CrossInstanceCall cross{masm_.newLabel(), masm_.newLabel(), offset_};
    masm_.callIndirect(env_.layout.table(tableIndex), env_.layout.tableElementsOf(tableIndex),
                       fixedSize, env_.layout.typeId(typeIndex), index,
                       trapLabel(TrapKind::UndefinedElement),
                       trapLabel(TrapKind::UninitializedElement),
                       trapLabel(TrapKind::IndirectCallTypeMismatch), cross.stub);
    recordCallSite();
    masm_.bind(cross.back);
    crossCalls_.push_back(cross);
    finishCall(type, sig);
  }

  void onReturnCall(uint32_t, const FuncType&) {
    fail("tail calls are not supported by the JIT yet");
  }
  void onReturnCallIndirect(uint32_t, uint32_t, const FuncType&) {
    fail("tail calls are not supported by the JIT yet");
  }

  // ==== parametric ==================================================================

  void onDrop() { popVar(); }

  void onSelect(ValType type) {
    const bool flags = st_.slots.back().loc == VarState::Flags;
    Cond cond = Cond::Ne;
    VarState condVar;
    if (flags) {
      cond = flagsCond_;
      st_.slots.pop_back();
      masm_.setPreserveFlags(true);
    } else {
      condVar = popVar();
    }
    VarState falseVar = popVar();
    VarState trueVar = popVar();
    // Registers of all three operands stay reserved while any of them is loaded.
    RegSet pinned = regsOf(trueVar) | regsOf(falseVar);
    if (!flags) pinned = pinned | regsOf(condVar);
    Reg ifFalse = toReg(falseVar, pinned);
    pinned.add(ifFalse);
    Reg ifTrue = toReg(trueVar, pinned);
    pinned.add(ifTrue);
    Reg dst;
    if (st_.isFree(ifTrue)) {
      dst = ifTrue;
    } else if (st_.isFree(ifFalse)) {
      dst = ifFalse;
    } else {
      dst = allocReg(regClassOf(type), pinned);
    }
    if (!flags) {
      Reg c = toReg(condVar, pinned | RegSet::of(dst));
      masm_.testZero(false, c);
    }
    masm_.select(cond, type, dst, ifTrue, ifFalse);
    masm_.setPreserveFlags(false);
    pushReg(type, dst);
  }

  // ==== variables ===================================================================

  void onLocalGet(uint32_t i) {
    touch(i);
    const VarState& l = st_.slots[i];
    if (l.loc == VarState::Register) {
      pushReg(l.type, l.reg);
    } else if (l.isConst()) {
      pushConst(l.type, l.constant);
    } else {
      loadLocal(i);
    }
  }
  /// local.get of a local in its home slot: load it, and keep the local cached in the
  /// register from now on (its home still holds it: cached but not dirty).
  [[gnu::noinline]] void loadLocal(uint32_t i) {
    Reg r = allocReg(regClassOf(st_.slots[i].type), RegSet());
    VarState& s = st_.slots[i];
    masm_.load(r, s.slot, s.type);
    s.loc = VarState::Register;
    s.reg = r;
    s.synced = true;
    st_.incUse(r);
    st_.cachedLocals.set(i, true);
    pushReg(s.type, r);
  }

  void onLocalSet(uint32_t i) {
    touch(i);
    VarState v = popVar();
    assignLocal(i, v);
  }

  void onLocalTee(uint32_t i) {
    touch(i);
    VarState& top = st_.slots.back();
    if (top.onStack()) {
      Reg r = allocReg(regClassOf(top.type), RegSet());
      masm_.load(r, st_.slots.back().slot, st_.slots.back().type);
      st_.setRegister(st_.slots.back(), r);
    }
    VarState v = st_.slots.back();
    if (v.isConst()) {
      st_.setLocalConst(i, v.constant);
    } else {
      st_.setLocalRegister(i, v.reg);
    }
  }

  void onGlobalGet(uint32_t g) {
    const ValType t = m_.globals[g].type.type;
    Reg dst = allocReg(regClassOf(t), RegSet());
    if (g < m_.numImportedGlobals) {
      masm_.loadIndirectGlobal(dst, env_.layout.importedGlobal(g), t);
    } else {
      masm_.loadContextField(dst, env_.layout.definedGlobal(g - m_.numImportedGlobals), t);
    }
    pushReg(t, dst);
  }

  void onGlobalSet(uint32_t g) {
    const ValType t = m_.globals[g].type.type;
    Reg v = popReg(RegSet());
    if (g < m_.numImportedGlobals) {
      masm_.storeIndirectGlobal(env_.layout.importedGlobal(g), v, t);
    } else {
      masm_.storeContextField(env_.layout.definedGlobal(g - m_.numImportedGlobals), v, t);
    }
  }

  // ==== tables and references ===========================================================

  void onTableGet(uint32_t table) {
    VarState indexVar = popVar();
    Reg index = toReg(indexVar, RegSet());
    Reg dst = st_.isFree(index) ? index : allocReg(RegClass::GP, RegSet::of(index));
    masm_.tableLoad(env_.layout.table(table), dst, index,
                    trapLabel(TrapKind::OutOfBoundsTableAccess));
    pushReg(m_.tables[table].elemType, dst);
  }

  void onTableSet(uint32_t table) {
    Reg value = popReg(RegSet());
    Reg index = popReg(RegSet::of(value));
    masm_.tableStore(env_.layout.table(table), index, value,
                     trapLabel(TrapKind::OutOfBoundsTableAccess));
  }

  void onTableSize(uint32_t table) {
    Reg dst = allocReg(RegClass::GP, RegSet());
    masm_.tableSize(env_.layout.table(table), dst);
    pushReg(ValType::I32, dst);
  }

  void onTableGrow(uint32_t table) {
    VarState delta = popVar(), ref = popVar();
    callHelper(Helper::TableGrow, {imm(table), ref, delta}, ValType::I32);
  }
  void onTableFill(uint32_t table) {
    VarState n = popVar(), ref = popVar(), start = popVar();
    callHelper(Helper::TableFill, {imm(table), start, ref, n}, std::nullopt);
  }
  void onTableCopy(uint32_t dst, uint32_t src) {
    VarState n = popVar(), s = popVar(), d = popVar();
    callHelper(Helper::TableCopy, {imm(dst), imm(src), d, s, n}, std::nullopt);
  }
  void onTableInit(uint32_t seg, uint32_t table) {
    VarState n = popVar(), s = popVar(), d = popVar();
    callHelper(Helper::TableInit, {imm(table), imm(seg), d, s, n}, std::nullopt);
  }
  void onElemDrop(uint32_t seg) { callHelper(Helper::ElemDrop, {imm(seg)}, std::nullopt); }

  void onRefNull(ValType t) { pushConst(t, 0); }
  void onRefIsNull() {
    Reg r = popReg(RegSet());
    masm_.testZero(true, r);
    pushFlags(Cond::Eq);
  }
  void onRefFunc(uint32_t f) {
    Reg dst = allocReg(RegClass::GP, RegSet());
    masm_.loadContextPointer(dst, env_.layout.funcRef(f));
    pushReg(ValType::FuncRef, dst);
  }

  // ==== memory ======================================================================

  void onLoad(Op op, const validator::MemArg& arg) {
    if (isSimd(op)) return unsupportedSimd();
    const ValType t = loadResultType(op);
    VarState indexVar = popVar();
    Reg dst;
    uint32_t at;
    if (indexVar.isConst()) {
      dst = allocReg(regClassOf(t), RegSet());
      at = masm_.loadMemory(op, dst, Reg(), static_cast<uint32_t>(indexVar.constant) + arg.offset);
    } else {
      Reg index = toReg(indexVar, RegSet());
      dst = (regClassOf(t) == RegClass::GP && st_.isFree(index))
                ? index
                : allocReg(regClassOf(t), RegSet::of(index));
      at = masm_.loadMemory(op, dst, index, arg.offset);
    }
    out_->memoryAccesses.push_back(CodeSite{at, offset_});
    pushReg(t, dst);
  }

  void onStore(Op op, const validator::MemArg& arg) {
    if (isSimd(op)) return unsupportedSimd();
    VarState valueVar = popVar();
    VarState indexVar = popVar();
    RegSet pinned = regsOf(indexVar);
    Reg value;
    const bool constValue = valueVar.isConst() && regClassOf(valueVar.type) == RegClass::GP &&
                            valueVar.constant >= INT32_MIN && valueVar.constant <= INT32_MAX;
    if (!constValue) {
      value = toReg(valueVar, pinned);
      pinned.add(value);
    }
    Reg index;
    uint64_t offset = arg.offset;
    if (indexVar.isConst()) {
      offset += static_cast<uint32_t>(indexVar.constant);
    } else {
      index = toReg(indexVar, pinned);
    }
    uint32_t at = constValue ? masm_.storeMemoryConst(op, index, offset, valueVar.constant)
                             : masm_.storeMemory(op, index, offset, value);
    out_->memoryAccesses.push_back(CodeSite{at, offset_});
  }

  void onLoadLane(Op, const validator::MemArg&, uint8_t) { unsupportedSimd(); }
  void onStoreLane(Op, const validator::MemArg&, uint8_t) { unsupportedSimd(); }

  void onMemorySize(uint32_t) {
    Reg dst = allocReg(RegClass::GP, RegSet());
    masm_.memorySize(dst);
    pushReg(ValType::I32, dst);
  }
  void onMemoryGrow(uint32_t) {
    VarState delta = popVar();
    callHelper(Helper::MemoryGrow, {delta}, ValType::I32);
  }
  void onMemoryInit(uint32_t seg, uint32_t) {
    VarState n = popVar(), s = popVar(), d = popVar();
    callHelper(Helper::MemoryInit, {imm(seg), d, s, n}, std::nullopt);
  }
  void onDataDrop(uint32_t seg) { callHelper(Helper::DataDrop, {imm(seg)}, std::nullopt); }
  void onMemoryCopy(uint32_t, uint32_t) {
    VarState n = popVar(), s = popVar(), d = popVar();
    callHelper(Helper::MemoryCopy, {d, s, n}, std::nullopt);
  }
  void onMemoryFill(uint32_t) {
    VarState n = popVar(), v = popVar(), d = popVar();
    callHelper(Helper::MemoryFill, {d, v, n}, std::nullopt);
  }

  // ==== constants and numeric ===========================================================

  void onI32Const(int32_t v) { pushConst(ValType::I32, v); }
  void onI64Const(int64_t v) { pushConst(ValType::I64, v); }
  void onF32Const(uint32_t bits) { pushConst(ValType::F32, bits); }
  void onF64Const(uint64_t bits) { pushConst(ValType::F64, static_cast<int64_t>(bits)); }
  void onV128Const(const uint8_t*) { unsupportedSimd(); }
  void onLane(Op, uint8_t) { unsupportedSimd(); }
  void onShuffle(const uint8_t*) { unsupportedSimd(); }

  void onNumeric(Op op);

 private:
  struct TrapStub {
    Label label;
    TrapKind kind;
    uint32_t wasmOffset;
  };
  /// The out-of-line part of a call_indirect (the call of a callee of another
  /// instance), and where it returns to.
  struct CrossInstanceCall {
    Label stub;
    Label back;
    uint32_t wasmOffset;
  };
  /// An argument of a helper call: a popped value or an immediate.
  struct HelperArg {
    VarState value;
    HelperArg(const VarState& v) : value(v) {}
  };
  HelperArg imm(uint32_t v) {
    VarState s;
    s.loc = VarState::Const;
    s.type = ValType::I32;
    s.constant = v;
    return HelperArg(s);
  }

  // ---- small helpers ---------------------------------------------------------------
  static bool isSimd(Op op) { return static_cast<uint16_t>(op) >= 0xFD00; }
  void unsupportedSimd() { fail("SIMD (v128) instructions are not supported by the JIT yet"); }
  static ValType loadResultType(Op op) {
    switch (opInfo(op).sig) {
      case Sig::L_I:
        return ValType::I64;
      case Sig::F_I:
        return ValType::F32;
      case Sig::D_I:
        return ValType::F64;
      case Sig::V_I:
        return ValType::V128;
      default:
        return ValType::I32;
    }
  }
  void touch(uint32_t local) { lastUse_[local] = ++useClock_; }

  Label trapLabel(TrapKind kind) {
    traps_.push_back(TrapStub{masm_.newLabel(), kind, offset_});
    return traps_.back().label;
  }
  void recordCallSite() { out_->callSites.push_back(CodeSite{masm_.offset(), offset_}); }

  void noteSlot(int32_t slot) { lowestSlot_ = std::min(lowestSlot_, slot); }
  int32_t nextSlot(ValType t) {
    const int32_t base = st_.slots.size() > st_.numLocals ? st_.slots.back().slot : localsEnd_;
    const int32_t slot = base - static_cast<int32_t>(stackSlotSize(t));
    noteSlot(slot);
    return slot;
  }

  // ---- value stack -------------------------------------------------------------------
  __attribute__((always_inline)) void pushReg(ValType t, Reg r) {
    VarState v;
    v.type = t;
    v.slot = nextSlot(t);
    v.loc = VarState::Register;
    v.reg = r;
    st_.slots.push_back(v);
    st_.incUse(r);
  }
  __attribute__((always_inline)) void pushConst(ValType t, int64_t c) {
    VarState v;
    v.type = t;
    v.slot = nextSlot(t);
    v.loc = VarState::Const;
    v.constant = c;
    st_.slots.push_back(v);
  }
  void pushFlags(Cond c) {
    VarState v;
    v.type = ValType::I32;
    v.slot = nextSlot(ValType::I32);
    v.loc = VarState::Flags;
    st_.slots.push_back(v);
    flagsCond_ = c;
    flagsPending_ = true;
  }
  /// Removes the top entry. A register it held keeps its value until reused; callers
  /// pin registers they still need.
  __attribute__((always_inline)) VarState popVar() {
    VarState v = st_.slots.back();
    st_.slots.pop_back();
    if (v.inReg()) st_.decUse(v.reg);
    return v;
  }
  /// Puts a popped value in a register (allocating one unless it is already in one).
  Reg toReg(const VarState& v, RegSet pinned) {
    if (v.inReg()) return v.reg;
    Reg r = allocReg(regClassOf(v.type), pinned);
    materializeInto(r, v);
    return r;
  }
  void materializeInto(Reg r, const VarState& v) {
    switch (v.loc) {
      case VarState::Register:
        masm_.move(r, v.reg, v.type);
        break;
      case VarState::Const:
        masm_.loadConst(r, v.type, v.constant);
        break;
      case VarState::Stack:
        masm_.load(r, v.slot, v.type);
        break;
      case VarState::Flags:
        masm_.setCond(flagsCond_, r);
        break;
    }
  }
  Reg popReg(RegSet pinned) { return toReg(popVar(), pinned); }
  static RegSet regsOf(const VarState& v) { return v.inReg() ? RegSet::of(v.reg) : RegSet(); }
  /// Pops into a register no other entry uses (for operations that clobber it).
  Reg popToExclusiveReg(RegSet pinned) {
    VarState v = popVar();
    if (v.inReg() && st_.isFree(v.reg)) return v.reg;
    Reg r = allocReg(regClassOf(v.type), pinned | (v.inReg() ? RegSet::of(v.reg) : RegSet()));
    materializeInto(r, v);
    return r;
  }
  void materializeFlags() {
    VarState& top = st_.slots.back();
    Reg r = allocReg(RegClass::GP, RegSet());
    masm_.setCond(flagsCond_, r);
    top.loc = VarState::Register;
    top.reg = r;
    st_.incUse(r);
  }
  /// Pops an i32 condition and returns the flag condition meaning "true".
  Cond popCondition() {
    if (st_.slots.back().loc == VarState::Flags) {
      st_.slots.pop_back();
      return flagsCond_;
    }
    Reg r = popReg(RegSet());
    masm_.testZero(false, r);
    return Cond::Ne;
  }

  void assignLocal(uint32_t i, const VarState& v) {
    switch (v.loc) {
      case VarState::Const:
        st_.setLocalConst(i, v.constant);
        break;
      case VarState::Register:
        st_.setLocalRegister(i, v.reg);
        break;
      default: {
        // From a stack slot or the flags: into a register the local then owns.
        Reg r = allocReg(regClassOf(v.type), RegSet());
        materializeInto(r, v);
        st_.setLocalRegister(i, r);
        break;
      }
    }
  }

  // ---- register allocation ---------------------------------------------------------
  Reg allocReg(RegClass c, RegSet pinned) {
    const RegSet candidates = Masm::kAllocatable.ofClass(c) - pinned;
    const RegSet freeRegs = candidates - st_.used();
    if (!freeRegs.empty()) [[likely]]
      return freeRegs.first();
    return spillToAllocate(candidates);
  }
  /// allocReg's slow path, out of line so the instructions that allocate keep a
  /// small frame. Spills the registers round-robin; all entries sharing the victim go
  /// to memory.
  [[gnu::noinline]] Reg spillToAllocate(RegSet candidates) {
    Reg victim = candidates.first();
    uint64_t bits = candidates.bits;
    for (int k = 0; k < 64; k++) {
      const unsigned code = (lastSpill_ + 1 + k) & 63;
      if ((bits >> code) & 1) {
        victim = Reg{static_cast<uint8_t>(code)};
        break;
      }
    }
    lastSpill_ = victim.code;
    spillRegister(victim);
    return victim;
  }
  void spillRegister(Reg r) {
    // Operand-stack entries first (usually the sharers), then cached locals.
    for (size_t i = st_.numLocals; i < st_.slots.size(); i++) {
      VarState& s = st_.slots[i];
      if (s.loc == VarState::Register && s.reg == r) {
        masm_.store(s.slot, r, s.type);
        st_.setStack(s);
        if (st_.isFree(r)) return;
      }
    }
    st_.cachedLocals.forEach([&](uint32_t i) {
      VarState& s = st_.slots[i];
      if (s.loc == VarState::Register && s.reg == r) {
        if (!s.synced) masm_.store(s.slot, r, s.type);
        st_.setStack(s);
      }
    });
  }
  void evict(RegSet regs) {
    for (uint64_t bits = (regs & st_.used()).bits; bits; bits &= bits - 1) {
      spillRegister(Reg{static_cast<uint8_t>(std::countr_zero(bits))});
    }
  }
  /// Spills every register-held entry except the top `keep` (the arguments of a call).
  void spillAllBut(uint32_t keep) {
    st_.spillRegisterLocals([&](const VarState& s) __attribute__((always_inline)) {
      if (!s.synced) masm_.store(s.slot, s.reg, s.type);
    });
    const size_t end = st_.slots.size() - keep;
    for (size_t i = st_.numLocals; i < end; i++) {
      VarState& s = st_.slots[i];
      if (s.loc == VarState::Register) {
        masm_.store(s.slot, s.reg, s.type);
        st_.setStack(s);
      }
    }
  }

  // ---- moves -------------------------------------------------------------------------
  /// A destination of a parallel move: a register, a frame slot (frame-pointer
  /// relative) or an outgoing argument slot (stack-pointer relative).
  struct Move {
    enum Kind : uint8_t { ToReg, ToSlot, ToOutgoing } kind;
    Reg reg;
    int32_t offset = 0;
    VarState src;
  };

  /// Executes moves whose sources are read before any destination is written:
  /// memory destinations first, then register-to-register moves (cycles broken with
  /// the scratch register), then loads and constants into registers.
  void executeMoves(PodVector<Move>& moves) {
    regMoves_.clear();
    for (const Move& m : moves) {
      if (m.kind == Move::ToReg) {
        if (m.src.inReg() && m.src.reg != m.reg) regMoves_.push_back(m);
        continue;
      }
      const ValType t = m.src.type;
      switch (m.src.loc) {
        case VarState::Register:
          m.kind == Move::ToSlot
              ? masm_.store(m.offset, m.src.reg, t)
              : masm_.storeOutgoing(static_cast<uint32_t>(m.offset), m.src.reg, t);
          break;
        case VarState::Const:
          m.kind == Move::ToSlot
              ? masm_.storeConst(m.offset, t, m.src.constant)
              : masm_.storeOutgoingConst(static_cast<uint32_t>(m.offset), t, m.src.constant);
          break;
        case VarState::Stack:
          if (m.kind == Move::ToSlot) {
            masm_.moveSlot(m.offset, m.src.slot, t);
          } else {
            masm_.slotToOutgoing(static_cast<uint32_t>(m.offset), m.src.slot, t);
          }
          break;
        case VarState::Flags:
          break;  // never a move source: materialized before any merge or call
      }
    }
    if (!regMoves_.empty()) permuteRegisters();
    for (const Move& m : moves) {
      if (m.kind != Move::ToReg || m.src.inReg()) continue;
      materializeInto(m.reg, m.src);
    }
  }
  static ValType wideType(Reg r) { return r.isGP() ? ValType::I64 : ValType::F64; }
  /// The register-to-register moves of executeMoves: a move may go once no other
  /// pending move reads its destination; cycles are broken with the scratch register.
  void permuteRegisters() {
    if (regMoves_.size() == 1) {  // the common case
      masm_.move(regMoves_[0].reg, regMoves_[0].src.reg, wideType(regMoves_[0].reg));
      regMoves_.clear();
      return;
    }
    // How many pending moves read each register: a move may go once nothing reads its
    // destination. Picks the same move as a scan for the first unblocked one would.
    uint8_t readers[64] = {};
    for (const Move& m : regMoves_) readers[m.src.reg.code]++;
    while (!regMoves_.empty()) {
      bool progress = false;
      for (size_t i = 0; i < regMoves_.size(); i++) {
        const Reg dst = regMoves_[i].reg;
        if (readers[dst.code] != 0) continue;
        const Reg src = regMoves_[i].src.reg;
        masm_.move(dst, src, wideType(dst));
        readers[src.code]--;
        regMoves_[i] = regMoves_.back();  // order does not matter: destinations are unique
        regMoves_.pop_back();
        progress = true;
        break;
      }
      if (progress) continue;
      // Only cycles remain: park one destination's current value in the scratch.
      const Reg d = regMoves_[0].reg;
      const Reg scratch = Masm::scratch(d.regClass());
      masm_.move(scratch, d, wideType(d));
      for (Move& m : regMoves_) {
        if (m.src.reg == d) m.src.reg = scratch;
      }
      readers[scratch.code] += readers[d.code];
      readers[d.code] = 0;
    }
  }

  // ---- loops that call ----------------------------------------------------------------
  // Every call spills all registers. In a loop whose body calls, a local kept in a
  // register across the back edge is worth it only if the body reads it before its
  // first call: any other would be stored before the call and reloaded on the back edge
  // each iteration for nothing. Such a loop's state keeps in registers only the locals
  // read before the first call (the others stay in their home slots, as Liftoff keeps
  // every local at loops), and says which of them are in their home slots too, so the
  // call need not store those again. Which locals those are is found by scanning the
  // body ahead of compiling it. One scan covers a loop and the loops nested in it up to
  // its first call (recorded in loops_, in code order, for the onLoop calls that follow),
  // so each byte is scanned about once.
  struct LoopInfo {
    uint32_t offset;      // of the loop instruction
    int32_t parent;       // innermost enclosing loop of the same scan, or -1
    uint32_t firstLocal;  // the loop's first local access in scanLocals_
    bool calls;           // the body (nested code included) calls a function or helper
  };
  /// Whether the loop at `offset` calls; if so, fills beforeCall_ with the locals its
  /// body reads before the first call (before any write: the value a write replaces is
  /// not needed).
  bool loopContainsCall(uint32_t offset) {
    while (nextLoop_ < loops_.size() && loops_[nextLoop_].offset < offset) nextLoop_++;
    if (nextLoop_ == loops_.size() || loops_[nextLoop_].offset != offset) {
      scanLoops(offset);
      nextLoop_ = 0;
      if (loops_.empty() || loops_[0].offset != offset) return false;
    }
    const LoopInfo& info = loops_[nextLoop_++];
    if (!info.calls) return false;
    // The scan stopped at the first call of every loop it marked as calling.
    beforeCall_.resize(st_.numLocals);
    accessed_.resize(st_.numLocals);
    for (size_t k = info.firstLocal; k < scanLocals_.size(); k++) {
      const uint32_t i = scanLocals_[k] >> 1;
      if (i >= st_.numLocals || accessed_.test(i)) continue;
      accessed_.set(i, true);
      if (scanLocals_[k] & 1) beforeCall_.set(i, true);
    }
    return true;
  }
  /// Scans the loop at `offset`, filling loops_, until its end or its first call (the
  /// loops still open there all call; a loop after that point is scanned when reached,
  /// from its own start). Stops early on anything it does not know: the validator
  /// reports invalid code, and the answer then does not matter.
  [[gnu::noinline]] void scanLoops(uint32_t offset) {
    loops_.clear();
    scanDepth_.clear();
    scanLocals_.clear();
    const auto& body = m_.bodies[funcIndex_ - m_.numImportedFunctions];
    const uint8_t* p = bytes_ + offset;
    const uint8_t* const end = bytes_ + body.offset + body.size;
    int32_t current = -1;  // innermost open loop
    auto skipLeb = [&]() __attribute__((always_inline)) {
      while (p < end && (*p++ & 0x80)) {
      }
    };
    auto readLeb = [&]() __attribute__((always_inline)) {
      uint32_t v = 0;
      for (unsigned shift = 0; p < end; shift += 7) {
        const uint8_t b = *p++;
        if (shift < 32) v |= static_cast<uint32_t>(b & 0x7F) << shift;
        if (!(b & 0x80)) break;
      }
      return v;
    };
    while (p < end) {
      const uint8_t* const at = p;
      uint32_t index = *p++;
      // The common single-byte instructions: nothing or one LEB128 to skip.
      const uint8_t simple = kScanClass.c[index];
      if (simple == kScanNone) continue;
      if (simple == kScanLeb) {
        skipLeb();
        continue;
      }
      if (simple == kScanLocal) {  // the local, and whether it is read (local.get)
        const uint32_t i = readLeb();
        scanLocals_.push_back(i << 1 | (index == 0x20 ? 1 : 0));
        continue;
      }
      switch (index) {
        case 0x02:  // block
        case 0x04:  // if
          skipLeb();
          scanDepth_.push_back(-1);
          continue;
        case 0x03:  // loop
          loops_.push_back(LoopInfo{static_cast<uint32_t>(at - bytes_), current,
                                    static_cast<uint32_t>(scanLocals_.size()), false});
          current = static_cast<int32_t>(loops_.size() - 1);
          scanDepth_.push_back(current);
          skipLeb();
          continue;
        case 0x0B: {  // end
          if (scanDepth_.empty()) return;
          const int32_t k = scanDepth_.back();
          scanDepth_.pop_back();
          if (k >= 0) current = loops_[k].parent;
          if (scanDepth_.empty()) return;
          continue;
        }
        case 0x10:  // call, call_indirect, return_call, return_call_indirect
        case 0x11:
        case 0x12:
        case 0x13:
        case 0x40:  // memory.grow
          markCalls(current);
          return;
        case 0xFC: {
          const uint32_t sub = readLeb();
          // memory.init .. table.grow and table.fill call runtime helpers.
          if ((sub >= 0x08 && sub <= 0x0F) || sub == 0x11) {
            markCalls(current);
            return;
          }
          index = sub < 0x100 ? 0x100 + sub : 0;
          break;
        }
        case 0xFD: {
          const uint32_t sub = readLeb();
          index = sub < 0x100 ? 0x200 + sub : 0;
          break;
        }
        default:
          break;
      }
      const OpInfo& info = opInfoByIndex(index);
      if (!info.text) return;
      switch (info.immediate) {
        case Immediate::None:
          break;
        case Immediate::F32:
          p += 4;
          break;
        case Immediate::F64:
          p += 8;
          break;
        case Immediate::V128:
        case Immediate::Shuffle:
          p += 16;
          break;
        case Immediate::Lane:
          p += 1;
          break;
        case Immediate::BrTable:
        case Immediate::SelectT: {
          const uint32_t n = readLeb() + (info.immediate == Immediate::BrTable ? 1 : 0);
          for (uint32_t k = 0; k < n && p < end; k++) skipLeb();
          break;
        }
        case Immediate::MemArg:
        case Immediate::MemArgLane:
          if (readLeb() & 0x40) skipLeb();  // multi-memory: a memory index
          skipLeb();
          if (info.immediate == Immediate::MemArgLane) p += 1;
          break;
        case Immediate::CallIndirect:
        case Immediate::MemoryInit:
        case Immediate::MemoryCopy:
        case Immediate::TableInit:
        case Immediate::TableCopy:
          skipLeb();
          skipLeb();
          break;
        default:  // one LEB128 (indices, constants, ref types)
          skipLeb();
          break;
      }
    }
  }
  /// Marks loop `k` and the loops around it as calling.
  void markCalls(int32_t k) {
    for (; k >= 0 && !loops_[k].calls; k = loops_[k].parent) loops_[k].calls = true;
  }
  /// How scanLoops treats each single-byte opcode: skips nothing or one LEB128, or
  /// looks closer (control, calls, prefixes, other immediates).
  static constexpr uint8_t kScanNone = 0, kScanLeb = 1, kScanLocal = 2, kScanOther = 3;
  struct ScanClasses {
    uint8_t c[256] = {};
    constexpr ScanClasses() {
      for (uint32_t i = 0; i < 256; i++) {
        const OpInfo& info = detail::kOpTable.entries[i];
        if (!info.text) {
          c[i] = kScanOther;
          continue;
        }
        switch (info.immediate) {
          case Immediate::None:
            c[i] = kScanNone;
            break;
          case Immediate::Local:
            c[i] = kScanLocal;
            break;
          case Immediate::Label:
          case Immediate::Global:
          case Immediate::I32:
          case Immediate::I64:
          case Immediate::Table:
          case Immediate::RefType:
            c[i] = kScanLeb;
            break;
          default:
            c[i] = kScanOther;
            break;
        }
      }
      // Control and calls: handled by the scan itself.
      for (uint32_t op : {0x02u, 0x03u, 0x04u, 0x0Bu, 0x10u, 0x11u, 0x12u, 0x13u, 0x40u}) {
        c[op] = kScanOther;
      }
    }
  };
  static constexpr ScanClasses kScanClass{};

  // ---- merges --------------------------------------------------------------------------
  /// Builds the state a branch target expects: locals, the stack below `height`, and
  /// `arity` values on top. Registers are kept where the current state has them
  /// (once each); constants below the block stay constants (they cannot change
  /// inside it); everything else goes to its stack slot. For loops, recently used
  /// locals and constants are given free registers so loop-carried values stay in
  /// registers.
  int32_t initMerge(uint32_t height, uint32_t arity, bool loop) {
    const int32_t index = newMerge();
    MergeState& ms = mergeStates_[index];
    PodVector<VarState>& merge = ms.slots;
    const uint32_t locals = st_.numLocals;
    const size_t size = locals + height + arity;
    // Only cached locals' entries are read (and written below); the rest stay as they are.
    merge.resizeUninitialized(size);
    const size_t srcBase = st_.slots.size() - arity;
    RegSet taken;
    // A loop that calls keeps in registers only the locals used before its first call
    // (see loopContainsCall), and no operand-stack values.
    const bool calls = loop && loopHasCall_;
    // Merge states are sparse in locals: only cached ones (ms.cachedLocals) have a
    // meaningful entry; every other local is in its home slot.
    ms.cachedLocals = st_.cachedLocals;
    // A branch's merge state is built from the state that branches first, so the only
    // locals that must move are the dirty ones it leaves out (constants, and register
    // sharers): collect those here, in collectTransfer's order, and let it skip them.
    // A loop's state also promotes locals: collectTransfer works that one out in full.
    if (!loop) moves_.clear();
    st_.cachedLocals.forEach([&](uint32_t i) {
      const VarState& src = st_.slots[i];
      if (src.loc == VarState::Register && !taken.has(src.reg) && (!calls || beforeCall_.test(i))) {
        taken.add(src.reg);
        merge[i] = src;
        merge[i].synced = calls && !st_.dirtyLocals.test(i);
      } else {
        ms.cachedLocals.set(i, false);
        if (!loop && st_.dirtyLocals.test(i)) {
          moves_.push_back(Move{Move::ToSlot, Reg(), src.slot, src});
        }
      }
    });
    localsCollected_ = !loop;
    for (size_t p = locals; p < size; p++) {
      const bool isResult = p >= locals + height;
      const VarState& src = isResult ? st_.slots[srcBase + (p - locals - height)] : st_.slots[p];
      VarState& dst = merge[p];
      dst.type = src.type;
      dst.synced = false;
      dst.slot = isResult ? slotAfter(merge, p) : src.slot;
      if (src.loc == VarState::Register && !calls && !taken.has(src.reg)) {
        dst.loc = VarState::Register;
        dst.reg = src.reg;
        taken.add(src.reg);
      } else if (src.loc == VarState::Const && p >= locals && !isResult) {
        dst.loc = VarState::Const;
        dst.constant = src.constant;
      } else {
        dst.loc = VarState::Stack;
      }
    }
    if (loop) promoteLoopLocals(ms, taken, calls);
    // Every cached local of a merge state is in a register and each register holds one
    // entry. The home slots do not hold them (all dirty), except in a loop that calls,
    // which keeps the homes of those synced on entry valid.
    ms.dirtyLocals = ms.cachedLocals;
    if (calls) {
      ms.cachedLocals.forEach([&](uint32_t i) {
        if (merge[i].synced) ms.dirtyLocals.set(i, false);
      });
    }
    ms.saved = false;
    ms.used = taken;
    return index;
  }
  int32_t slotAfter(const PodVector<VarState>& merge, size_t p) const {
    const int32_t base = p > st_.numLocals ? merge[p - 1].slot : localsEnd_;
    return base - static_cast<int32_t>(stackSlotSize(merge[p].type));
  }
  /// Gives free registers to the locals used most recently (in a loop that calls, to
  /// the locals it uses before its first call).
  void promoteLoopLocals(MergeState& ms, RegSet& taken, bool calls) {
    PodVector<VarState>& merge = ms.slots;
    constexpr int kKeepFree = 4;  // registers left for the loop body's temporaries
    // Per class, the free registers and how many of them may be given away. A class
    // whose spare count reaches zero stops the promotion; one with none to spare, or
    // with no locals at all, contributes no candidates.
    RegSet freeRegs[2];
    int spare[2];
    for (int c = 0; c < 2; c++) {
      const RegClass rc = static_cast<RegClass>(c);
      freeRegs[c] = Masm::kAllocatable.ofClass(rc) - taken - st_.used();
      spare[c] = numLocalsOfClass_[c] == 0 ? 0 : freeRegs[c].count() - kKeepFree;
    }
    const bool wantGP = spare[0] > 0, wantFP = spare[1] > 0;
    if (!wantGP && !wantFP) return;  // no class has a register to spare
    // The class test is needed only if some locals are of a class without spare.
    const bool filter = wantGP ? (!wantFP && numLocalsOfClass_[1] != 0) : numLocalsOfClass_[0] != 0;
    // Candidates as (last use << 32 | local), most recently used first. Last uses are
    // distinct, so the order is total; usually only the first few are looked at, so
    // sort those first and the rest only if the loop gets that far.
    candidates_.clear();
    auto consider = [&](uint32_t i) __attribute__((always_inline)) {
      if (ms.cachedLocals.test(i)) return;
      if (filter && (regClassOf(st_.slots[i].type) == RegClass::GP) != wantGP) return;
      candidates_.push_back(uint64_t{lastUse_[i]} << 32 | i);
    };
    if (calls) {
      beforeCall_.forEach(consider);
    } else {
      for (uint32_t i = 0; i < st_.numLocals; i++) {
        if (lastUse_[i] != 0) consider(i);
      }
    }
    size_t sorted = std::min<size_t>(candidates_.size(), 16);
    if (sorted < candidates_.size()) {
      std::nth_element(candidates_.begin(), candidates_.begin() + sorted, candidates_.end(),
                       std::greater<uint64_t>());
    }
    std::sort(candidates_.begin(), candidates_.begin() + sorted, std::greater<uint64_t>());
    for (size_t k = 0; k < candidates_.size(); k++) {
      if (k == sorted) {
        std::sort(candidates_.begin() + k, candidates_.end(), std::greater<uint64_t>());
        sorted = candidates_.size();
      }
      const uint32_t i = static_cast<uint32_t>(candidates_[k]);
      const int c = static_cast<int>(regClassOf(st_.slots[i].type));
      if (spare[c] <= 0) continue;
      const Reg r = freeRegs[c].first();
      merge[i] = st_.slots[i];
      merge[i].loc = VarState::Register;
      merge[i].reg = r;
      merge[i].synced = calls && !st_.dirtyLocals.test(i);
      ms.cachedLocals.set(i, true);
      taken.add(r);
      freeRegs[c].remove(r);
      if (--spare[c] == 0) break;
    }
  }
  void ensureMerge(Frame& f) {
    if (f.merge < 0) f.merge = initMerge(f.height, f.labelArity(), false);
  }
  /// Collects the moves that turn the current state into merge state `index`.
  /// Collects what turns the current state into merge state `index`: memory-to-memory
  /// shifts of results moving down the stack (in ascending order, so nothing is
  /// overwritten before it is read) and the moves for executeMoves. Emits nothing.
  void collectTransfer(int32_t index, uint32_t height, uint32_t arity) {
    const MergeState& ms = mergeStates_[index];
    const PodVector<VarState>& merge = ms.slots;
    const uint32_t locals = st_.numLocals;
    const size_t srcBase = st_.slots.size() - arity;
    const size_t dstBase = locals + height;
    shifts_.clear();
    // Locals: only those the target wants in a register and those whose home is stale
    // (dirty) can need a move; a cached local whose home holds it is fine either way.
    // Right after initMerge built the (branch) state, their moves are collected.
    const size_t words = localsCollected_ ? 0 : ms.cachedLocals.numWords();
    if (!localsCollected_) moves_.clear();
    localsCollected_ = false;
    for (size_t w = 0; w < words; w++) {
      const uint64_t wanted = ms.cachedLocals.word(w);
      const uint64_t dirty = st_.dirtyLocals.word(w);
      // Wanted in a register and in the home slot too (loops that call).
      const uint64_t alsoHome = wanted & ~ms.dirtyLocals.word(w) & dirty;
      for (uint64_t bits = wanted | dirty; bits; bits &= bits - 1) {
        const uint32_t p = static_cast<uint32_t>(w * 64 + std::countr_zero(bits));
        const VarState& src = st_.slots[p];
        if (wanted & bits & -bits) {  // wanted in a register
          const VarState& dst = merge[p];
          if (alsoHome & bits & -bits) moves_.push_back(Move{Move::ToSlot, Reg(), src.slot, src});
          if (src.loc == VarState::Register && src.reg == dst.reg) continue;
          moves_.push_back(Move{Move::ToReg, dst.reg, 0, src});
        } else {  // wanted in its home slot, which is stale
          moves_.push_back(Move{Move::ToSlot, Reg(), src.slot, src});
        }
      }
    }
    const size_t n = merge.size();
    for (size_t p = locals; p < n; p++) {
      const VarState& dst = merge[p];
      const VarState* srcp = p < dstBase ? &st_.slots[p] : &st_.slots[srcBase + (p - dstBase)];
      // Fast path: already where the target wants it.
      if (dst.loc == VarState::Register) {
        if (srcp->loc == VarState::Register && srcp->reg == dst.reg) continue;
      } else if (dst.loc == VarState::Stack) {
        if (srcp->loc == VarState::Stack && srcp->slot == dst.slot) continue;
        if (p < locals && srcp->synced) continue;  // the home already holds it
      } else {
        continue;  // constants below the block cannot differ between edges
      }
      VarState src = *srcp;
      if (p >= dstBase && src.onStack()) {
        shifts_.push_back(Shift{dst.slot, src.slot, src.type});
        src.slot = dst.slot;
        if (dst.onStack()) continue;
      }
      moves_.push_back(dst.loc == VarState::Register ? Move{Move::ToReg, dst.reg, 0, src}
                                                     : Move{Move::ToSlot, Reg(), dst.slot, src});
    }
  }
  bool collectedNothing() const { return moves_.empty() && shifts_.empty(); }
  void emitCollected() {
    for (const Shift& s : shifts_) masm_.moveSlot(s.dst, s.src, s.type);
    executeMoves(moves_);
  }
  bool needsTransfer(int32_t index, uint32_t height, uint32_t arity) {
    collectTransfer(index, height, arity);
    return !collectedNothing();
  }
  /// Emits the moves from the current state into merge state `index` (the current
  /// state itself is left unchanged: the fall-through path of br_if still uses it).
  void transferTo(int32_t index, uint32_t height, uint32_t arity) {
    collectTransfer(index, height, arity);
    emitCollected();
  }
  void adoptMerge(int32_t index) {
    const MergeState& ms = mergeStates_[index];
    const uint32_t locals = st_.numLocals;
    // Locals: only those cached on either side differ from "in the home slot".
    st_.cachedLocals.forEachUnion(
        ms.cachedLocals, [&](uint32_t p) __attribute__((always_inline)) {
          if (ms.cachedLocals.test(p)) {
            st_.slots[p] = ms.slots[p];
          } else {
            st_.slots[p].loc = VarState::Stack;
          }
        });
    st_.cachedLocals = ms.cachedLocals;
    st_.dirtyLocals = ms.dirtyLocals;
    const size_t size = ms.slots.size();
    st_.slots.resizeUninitialized(size);  // the stack part is copied in below
    if (size > locals) {
      std::memcpy(st_.slots.data() + locals, ms.slots.data() + locals,
                  (size - locals) * sizeof(VarState));
    }
    st_.setRegisterUses(ms.used, ms.saved ? &ms.useCount : nullptr);
  }
  void branchTo(Frame& f) {
    ensureMerge(f);
    transferTo(f.merge, f.height, f.labelArity());
    masm_.jump(f.label);
  }
  void endBlock(Frame& f, bool fallthroughLive) {
    if (fallthroughLive) {
      if (f.merge < 0 && !f.branchedTo) return;  // nothing jumps here: keep the state
      ensureMerge(f);
      transferTo(f.merge, f.height, f.sig.numResults);
      masm_.bind(f.label);
      adoptMerge(f.merge);
    } else if (f.merge >= 0) {
      masm_.bind(f.label);
      adoptMerge(f.merge);
    }
  }

  int32_t newMerge() {
    if (!freeMerges_.empty()) {
      const int32_t index = freeMerges_.back();
      freeMerges_.pop_back();
      return index;
    }
    if (mergesUsed_ == mergeStates_.size()) mergeStates_.emplace_back();
    return static_cast<int32_t>(mergesUsed_++);
  }
  void releaseMerge(int32_t& index) {
    if (index >= 0) freeMerges_.push_back(index);
    index = -1;
  }
  int32_t saveState() {
    const int32_t index = newMerge();
    MergeState& ms = mergeStates_[index];
    const uint32_t locals = st_.numLocals;
    const size_t size = st_.slots.size();
    ms.slots.resizeUninitialized(size);  // only cached locals and the stack are read
    ms.cachedLocals = st_.cachedLocals;
    ms.saved = true;
    ms.dirtyLocals = st_.dirtyLocals;
    st_.getRegisterUses(ms.used, ms.useCount);
    st_.cachedLocals.forEach([&](uint32_t p) { ms.slots[p] = st_.slots[p]; });
    if (size > locals) {
      std::memcpy(ms.slots.data() + locals, st_.slots.data() + locals,
                  (size - locals) * sizeof(VarState));
    }
    return index;
  }
  void restoreState(int32_t index) { adoptMerge(index); }

  // ---- calls and returns ----------------------------------------------------------------
  void moveArguments(const FuncType& type, const CallSignature& sig) {
    const size_t base = st_.slots.size() - type.numParams;
    moves_.clear();
    for (uint32_t i = 0; i < type.numParams; i++) {
      const VarState& src = st_.slots[base + i];
      const ValueLocation& loc = sig.params[i];
      if (loc.inRegister) {
        moves_.push_back(Move{Move::ToReg, loc.reg, 0, src});
      } else {
        moves_.push_back(Move{Move::ToOutgoing, Reg(), static_cast<int32_t>(loc.stackOffset), src});
      }
    }
    executeMoves(moves_);
    outgoingBytes_ = std::max(outgoingBytes_, sig.stackBytes());
  }
  void prepareCall(const FuncType& type, const CallSignature& sig) {
    spillAllBut(type.numParams);
    moveArguments(type, sig);
  }
  void finishCall(const FuncType& type, const CallSignature& sig) {
    for (uint32_t i = 0; i < type.numParams; i++) popVar();
    const auto results = type.results();
    for (size_t k = 0; k < results.size(); k++) {
      const ValueLocation& loc = sig.results[k];
      if (loc.inRegister) {
        pushReg(results[k], loc.reg);
      } else {
        VarState v;
        v.type = results[k];
        v.slot = nextSlot(v.type);
        v.loc = VarState::Stack;
        masm_.outgoingToSlot(v.slot, loc.stackOffset, v.type);
        st_.slots.push_back(v);
      }
    }
  }
  /// Calls a runtime helper with (ctx, args...) under the C ABI; everything live is
  /// spilled first since the C ABI clobbers the allocatable registers.
  void callHelper(Helper h, std::initializer_list<HelperArg> args, std::optional<ValType> result) {
    spillAllBut(0);
    moves_.clear();
    size_t i = 1;
    for (const HelperArg& a : args) {
      moves_.push_back(Move{Move::ToReg, Masm::kHelperArg[i++], 0, a.value});
    }
    executeMoves(moves_);
    masm_.moveContextTo(Masm::kHelperArg[0]);
    masm_.callHelper(h);
    recordCallSite();
    if (result) {
      if (*result == ValType::I32) masm_.zeroExtend32(Masm::kHelperResult);
      pushReg(*result, Masm::kHelperResult);
    }
  }
  /// Moves the results into their return locations and leaves the function. Does not
  /// change the state (a conditional return's fall-through still uses it).
  void emitReturn() {
    const auto results = m_.functionType(funcIndex_).results();
    const size_t base = st_.slots.size() - results.size();
    moves_.clear();
    for (size_t k = 0; k < results.size(); k++) {
      const ValueLocation& loc = sig_->results[k];
      const VarState& src = st_.slots[base + k];
      if (loc.inRegister) {
        moves_.push_back(Move{Move::ToReg, loc.reg, 0, src});
      } else {
        moves_.push_back(Move{Move::ToSlot, Reg(),
                              Masm::kIncomingArgs + static_cast<int32_t>(loc.stackOffset), src});
      }
    }
    executeMoves(moves_);
    masm_.epilogue();
  }

  // ---- numeric helpers ----------------------------------------------------------------
  static bool fitsImm32(const VarState& v) {
    return v.isConst() && v.constant >= INT32_MIN && v.constant <= INT32_MAX;
  }
  void intBinop(IntBinop op, ValType t);
  void shift(IntBinop op, ValType t);
  void divRem(DivKind kind, ValType t);
  void intCompare(Cond c, ValType t);
  void eqz(ValType t);
  void intUnop(Op op, ValType t);
  void floatBinop(FloatBinop op, ValType t);
  void floatUnop(FloatUnop op, ValType t);
  void floatCompare(FloatCond c, ValType t);
  void convert(Op op, ValType from, ValType to);

  const CompileEnvironment& env_;
  const decoder::Module& m_;
  Masm& masm_;
  CodeSink* out_ = nullptr;
  uint32_t funcIndex_ = 0;
  const uint8_t* bytes_;
  const CallSignature* sig_ = nullptr;

  CacheState st_;
  int32_t localsEnd_ = 0;
  int32_t lowestSlot_ = 0;  // the lowest frame slot used so far
  uint32_t outgoingBytes_ = 0;
  uint32_t offset_ = 0;
  uint32_t functionOffset_ = 0;
  uint32_t ops_ = 0;         // instructions so far (live code only)
  uint32_t opsCharged_ = 0;  // of those, the ones fuel was taken for
  Cond flagsCond_ = Cond::Ne;
  /// Set when a comparison leaves its result in the flags; atOffset clears it once the
  /// flags entry is gone (so most instructions skip looking at the stack top).
  bool flagsPending_ = false;
  Label stackCheck_;
  std::vector<TrapStub> traps_;
  std::vector<CrossInstanceCall> crossCalls_;
  std::vector<MergeState> mergeStates_;
  size_t mergesUsed_ = 0;
  PodVector<int32_t> freeMerges_;  // indices below mergesUsed_ of ended frames' states
  struct Shift {
    int32_t dst, src;
    ValType type;
  };
  PodVector<Move> moves_;
  PodVector<Move> regMoves_;
  PodVector<Shift> shifts_;
  std::vector<uint32_t> lastUse_;
  /// Set by initMerge when it collected the locals' moves into its state (see there);
  /// the collectTransfer that always follows uses them and clears it.
  bool localsCollected_ = false;
  uint32_t numLocalsOfClass_[2] = {};  // by RegClass
  PodVector<uint64_t> candidates_;
  uint32_t brTableCount_ = 0;
  PodVector<Label> brEntries_;
  PodVector<Frame*> brStubs_;
  uint32_t useClock_ = 0;
  unsigned lastSpill_ = 0;
  PodVector<LoopInfo> loops_;  // see loopContainsCall
  size_t nextLoop_ = 0;
  PodVector<int32_t> scanDepth_;
  PodVector<uint32_t> scanLocals_;  // local << 1 | read, per access in scan order
  LocalSet beforeCall_;
  LocalSet accessed_;
  /// Set by onLoop for the initMerge that follows: the loop's body calls.
  bool loopHasCall_ = false;
  std::string error_;
};

// ======================================================================================
// Numeric instructions.

template <typename Masm>
void FunctionCompiler<Masm>::intBinop(IntBinop op, ValType t) {
  const bool is64 = t == ValType::I64;
  const bool commutative = op == IntBinop::Add || op == IntBinop::Mul || op == IntBinop::And ||
                           op == IntBinop::Or || op == IntBinop::Xor;
  VarState rhs = popVar();
  VarState lhs = popVar();
  if (commutative && fitsImm32(lhs) && !rhs.isConst()) std::swap(lhs, rhs);
  if (fitsImm32(rhs)) {
    Reg l = toReg(lhs, RegSet());
    Reg dst = st_.isFree(l) ? l : allocReg(RegClass::GP, RegSet::of(l));
    masm_.intBinopImm(op, is64, dst, l, static_cast<int32_t>(rhs.constant));
    pushReg(t, dst);
    return;
  }
  Reg r = toReg(rhs, regsOf(lhs));
  Reg l = toReg(lhs, RegSet::of(r));
  Reg dst;
  if (st_.isFree(l)) {
    dst = l;
  } else if (commutative && st_.isFree(r)) {
    dst = r;
  } else {
    dst = allocReg(RegClass::GP, RegSet::of(l, r));
  }
  masm_.intBinop(op, is64, dst, l, r);
  pushReg(t, dst);
}

template <typename Masm>
void FunctionCompiler<Masm>::shift(IntBinop op, ValType t) {
  const bool is64 = t == ValType::I64;
  VarState rhs = popVar();
  if (rhs.isConst()) {
    Reg l = popReg(RegSet());
    Reg dst = st_.isFree(l) ? l : allocReg(RegClass::GP, RegSet::of(l));
    masm_.intBinopImm(op, is64, dst, l, static_cast<int32_t>(rhs.constant));
    pushReg(t, dst);
    return;
  }
  // Variable counts live in the backend's shift register (cl on x86-64).
  const RegSet clobbers = Masm::kShiftClobbers;
  Reg r = toReg(rhs, RegSet());
  Reg l = popReg(RegSet::of(r));
  evict(clobbers);
  if (clobbers.has(l)) {
    Reg moved = allocReg(RegClass::GP, clobbers | RegSet::of(r, l));
    masm_.move(moved, l, t);
    l = moved;
  }
  Reg dst =
      (st_.isFree(l) && !clobbers.has(l)) ? l : allocReg(RegClass::GP, clobbers | RegSet::of(r, l));
  masm_.intBinop(op, is64, dst, l, r);
  pushReg(t, dst);
}

template <typename Masm>
void FunctionCompiler<Masm>::divRem(DivKind kind, ValType t) {
  const bool is64 = t == ValType::I64;
  Reg r = popReg(RegSet());
  Reg l = popReg(RegSet::of(r));
  evict(Masm::kDivClobbers);
  Reg dst;
  if (st_.isFree(l)) {
    dst = l;
  } else if (st_.isFree(r)) {
    dst = r;
  } else {
    dst = allocReg(RegClass::GP, RegSet::of(l, r) | Masm::kDivClobbers);
  }
  masm_.divRem(kind, is64, dst, l, r, trapLabel(TrapKind::IntegerDivideByZero),
               trapLabel(TrapKind::IntegerOverflow));
  pushReg(t, dst);
}

template <typename Masm>
void FunctionCompiler<Masm>::intCompare(Cond c, ValType t) {
  const bool is64 = t == ValType::I64;
  VarState rhs = popVar();
  VarState lhs = popVar();
  if (fitsImm32(lhs) && !rhs.isConst()) {
    std::swap(lhs, rhs);
    c = commute(c);
  }
  if (fitsImm32(rhs)) {
    Reg l = toReg(lhs, RegSet());
    masm_.compareImm(is64, l, static_cast<int32_t>(rhs.constant));
  } else {
    Reg r = toReg(rhs, regsOf(lhs));
    Reg l = toReg(lhs, RegSet::of(r));
    masm_.compare(is64, l, r);
  }
  pushFlags(c);
}

template <typename Masm>
void FunctionCompiler<Masm>::eqz(ValType t) {
  if (t == ValType::I32 && st_.slots.back().loc == VarState::Flags) {
    flagsCond_ = negate(flagsCond_);
    return;
  }
  Reg r = popReg(RegSet());
  masm_.testZero(t == ValType::I64, r);
  pushFlags(Cond::Eq);
}

template <typename Masm>
void FunctionCompiler<Masm>::intUnop(Op op, ValType t) {
  const bool is64 = t == ValType::I64;
  VarState v = popVar();
  Reg src = toReg(v, RegSet());
  const ValType resultType = (op == Op::I32WrapI64)                                 ? ValType::I32
                             : (op == Op::I64ExtendI32S || op == Op::I64ExtendI32U) ? ValType::I64
                                                                                    : t;
  Reg dst = st_.isFree(src) ? src : allocReg(RegClass::GP, RegSet::of(src));
  switch (op) {
    case Op::I32Clz:
    case Op::I64Clz:
      masm_.clz(is64, dst, src);
      break;
    case Op::I32Ctz:
    case Op::I64Ctz:
      masm_.ctz(is64, dst, src);
      break;
    case Op::I32Popcnt:
    case Op::I64Popcnt: {
      Reg temp;
      if (masm_.popcntNeedsTemp()) {
        if (dst == src) {
          dst = allocReg(RegClass::GP, RegSet::of(src));
        }
        temp = allocReg(RegClass::GP, RegSet::of(src, dst));
      }
      masm_.popcnt(is64, dst, src, temp);
      break;
    }
    default:
      masm_.extend(op, dst, src);
      break;
  }
  pushReg(resultType, dst);
}

template <typename Masm>
void FunctionCompiler<Masm>::floatBinop(FloatBinop op, ValType t) {
  const bool commutative = op == FloatBinop::Add || op == FloatBinop::Mul;
  Reg r = popReg(RegSet());
  Reg l = popReg(RegSet::of(r));
  Reg dst;
  if (st_.isFree(l)) {
    dst = l;
  } else if (commutative && st_.isFree(r)) {
    dst = r;
  } else {
    dst = allocReg(RegClass::FP, RegSet::of(l, r));
  }
  masm_.floatBinop(op, t == ValType::F64, dst, l, r);
  pushReg(t, dst);
}

template <typename Masm>
void FunctionCompiler<Masm>::floatUnop(FloatUnop op, ValType t) {
  Reg src = popReg(RegSet());
  Reg dst = st_.isFree(src) ? src : allocReg(RegClass::FP, RegSet::of(src));
  masm_.floatUnop(op, t == ValType::F64, dst, src);
  pushReg(t, dst);
}

template <typename Masm>
void FunctionCompiler<Masm>::floatCompare(FloatCond c, ValType t) {
  Reg r = popReg(RegSet());
  Reg l = popReg(RegSet::of(r));
  Reg dst = allocReg(RegClass::GP, RegSet());
  masm_.floatCompare(c, t == ValType::F64, dst, l, r);
  pushReg(ValType::I32, dst);
}

template <typename Masm>
void FunctionCompiler<Masm>::convert(Op op, ValType from, ValType to) {
  Reg src = popReg(RegSet());
  Reg dst;
  if (regClassOf(from) == regClassOf(to) && st_.isFree(src)) {
    dst = src;
  } else {
    dst = allocReg(regClassOf(to), RegSet::of(src));
  }
  Reg temp;
  if (op == Op::F32ConvertI64U || op == Op::F64ConvertI64U) {
    temp = allocReg(RegClass::GP, RegSet::of(src, dst));
  }
  Label invalid, overflow;
  const uint16_t code = static_cast<uint16_t>(op);
  if (code >= 0xA8 && code <= 0xB1 && code != 0xAC && code != 0xAD) {
    invalid = trapLabel(TrapKind::InvalidConversionToInteger);
    overflow = trapLabel(TrapKind::IntegerOverflow);
  }
  masm_.convert(op, dst, src, temp, invalid, overflow);
  pushReg(to, dst);
}

template <typename Masm>
void FunctionCompiler<Masm>::onNumeric(Op op) {
  using enum Op;
  constexpr ValType I32 = ValType::I32, I64 = ValType::I64, F32 = ValType::F32, F64 = ValType::F64;
  switch (op) {
    case I32Eqz:
      return eqz(I32);
    case I64Eqz:
      return eqz(I64);
    case I32Eq:
      return intCompare(Cond::Eq, I32);
    case I32Ne:
      return intCompare(Cond::Ne, I32);
    case I32LtS:
      return intCompare(Cond::LtS, I32);
    case I32LtU:
      return intCompare(Cond::LtU, I32);
    case I32GtS:
      return intCompare(Cond::GtS, I32);
    case I32GtU:
      return intCompare(Cond::GtU, I32);
    case I32LeS:
      return intCompare(Cond::LeS, I32);
    case I32LeU:
      return intCompare(Cond::LeU, I32);
    case I32GeS:
      return intCompare(Cond::GeS, I32);
    case I32GeU:
      return intCompare(Cond::GeU, I32);
    case I64Eq:
      return intCompare(Cond::Eq, I64);
    case I64Ne:
      return intCompare(Cond::Ne, I64);
    case I64LtS:
      return intCompare(Cond::LtS, I64);
    case I64LtU:
      return intCompare(Cond::LtU, I64);
    case I64GtS:
      return intCompare(Cond::GtS, I64);
    case I64GtU:
      return intCompare(Cond::GtU, I64);
    case I64LeS:
      return intCompare(Cond::LeS, I64);
    case I64LeU:
      return intCompare(Cond::LeU, I64);
    case I64GeS:
      return intCompare(Cond::GeS, I64);
    case I64GeU:
      return intCompare(Cond::GeU, I64);
    case F32Eq:
      return floatCompare(FloatCond::Eq, F32);
    case F32Ne:
      return floatCompare(FloatCond::Ne, F32);
    case F32Lt:
      return floatCompare(FloatCond::Lt, F32);
    case F32Gt:
      return floatCompare(FloatCond::Gt, F32);
    case F32Le:
      return floatCompare(FloatCond::Le, F32);
    case F32Ge:
      return floatCompare(FloatCond::Ge, F32);
    case F64Eq:
      return floatCompare(FloatCond::Eq, F64);
    case F64Ne:
      return floatCompare(FloatCond::Ne, F64);
    case F64Lt:
      return floatCompare(FloatCond::Lt, F64);
    case F64Gt:
      return floatCompare(FloatCond::Gt, F64);
    case F64Le:
      return floatCompare(FloatCond::Le, F64);
    case F64Ge:
      return floatCompare(FloatCond::Ge, F64);
    case I32Clz:
    case I32Ctz:
    case I32Popcnt:
    case I32Extend8S:
    case I32Extend16S:
      return intUnop(op, I32);
    case I64Clz:
    case I64Ctz:
    case I64Popcnt:
    case I64Extend8S:
    case I64Extend16S:
    case I64Extend32S:
    case I32WrapI64:
      return intUnop(op, I64);
    case I64ExtendI32S:
    case I64ExtendI32U:
      return intUnop(op, I32);
    case I32Add:
      return intBinop(IntBinop::Add, I32);
    case I32Sub:
      return intBinop(IntBinop::Sub, I32);
    case I32Mul:
      return intBinop(IntBinop::Mul, I32);
    case I32And:
      return intBinop(IntBinop::And, I32);
    case I32Or:
      return intBinop(IntBinop::Or, I32);
    case I32Xor:
      return intBinop(IntBinop::Xor, I32);
    case I32Shl:
      return shift(IntBinop::Shl, I32);
    case I32ShrS:
      return shift(IntBinop::ShrS, I32);
    case I32ShrU:
      return shift(IntBinop::ShrU, I32);
    case I32Rotl:
      return shift(IntBinop::Rotl, I32);
    case I32Rotr:
      return shift(IntBinop::Rotr, I32);
    case I32DivS:
      return divRem(DivKind::DivS, I32);
    case I32DivU:
      return divRem(DivKind::DivU, I32);
    case I32RemS:
      return divRem(DivKind::RemS, I32);
    case I32RemU:
      return divRem(DivKind::RemU, I32);
    case I64Add:
      return intBinop(IntBinop::Add, I64);
    case I64Sub:
      return intBinop(IntBinop::Sub, I64);
    case I64Mul:
      return intBinop(IntBinop::Mul, I64);
    case I64And:
      return intBinop(IntBinop::And, I64);
    case I64Or:
      return intBinop(IntBinop::Or, I64);
    case I64Xor:
      return intBinop(IntBinop::Xor, I64);
    case I64Shl:
      return shift(IntBinop::Shl, I64);
    case I64ShrS:
      return shift(IntBinop::ShrS, I64);
    case I64ShrU:
      return shift(IntBinop::ShrU, I64);
    case I64Rotl:
      return shift(IntBinop::Rotl, I64);
    case I64Rotr:
      return shift(IntBinop::Rotr, I64);
    case I64DivS:
      return divRem(DivKind::DivS, I64);
    case I64DivU:
      return divRem(DivKind::DivU, I64);
    case I64RemS:
      return divRem(DivKind::RemS, I64);
    case I64RemU:
      return divRem(DivKind::RemU, I64);
    case F32Abs:
      return floatUnop(FloatUnop::Abs, F32);
    case F32Neg:
      return floatUnop(FloatUnop::Neg, F32);
    case F32Ceil:
      return floatUnop(FloatUnop::Ceil, F32);
    case F32Floor:
      return floatUnop(FloatUnop::Floor, F32);
    case F32Trunc:
      return floatUnop(FloatUnop::Trunc, F32);
    case F32Nearest:
      return floatUnop(FloatUnop::Nearest, F32);
    case F32Sqrt:
      return floatUnop(FloatUnop::Sqrt, F32);
    case F64Abs:
      return floatUnop(FloatUnop::Abs, F64);
    case F64Neg:
      return floatUnop(FloatUnop::Neg, F64);
    case F64Ceil:
      return floatUnop(FloatUnop::Ceil, F64);
    case F64Floor:
      return floatUnop(FloatUnop::Floor, F64);
    case F64Trunc:
      return floatUnop(FloatUnop::Trunc, F64);
    case F64Nearest:
      return floatUnop(FloatUnop::Nearest, F64);
    case F64Sqrt:
      return floatUnop(FloatUnop::Sqrt, F64);
    case F32Add:
      return floatBinop(FloatBinop::Add, F32);
    case F32Sub:
      return floatBinop(FloatBinop::Sub, F32);
    case F32Mul:
      return floatBinop(FloatBinop::Mul, F32);
    case F32Div:
      return floatBinop(FloatBinop::Div, F32);
    case F32Min:
      return floatBinop(FloatBinop::Min, F32);
    case F32Max:
      return floatBinop(FloatBinop::Max, F32);
    case F32Copysign:
      return floatBinop(FloatBinop::Copysign, F32);
    case F64Add:
      return floatBinop(FloatBinop::Add, F64);
    case F64Sub:
      return floatBinop(FloatBinop::Sub, F64);
    case F64Mul:
      return floatBinop(FloatBinop::Mul, F64);
    case F64Div:
      return floatBinop(FloatBinop::Div, F64);
    case F64Min:
      return floatBinop(FloatBinop::Min, F64);
    case F64Max:
      return floatBinop(FloatBinop::Max, F64);
    case F64Copysign:
      return floatBinop(FloatBinop::Copysign, F64);
    case I32TruncF32S:
    case I32TruncF32U:
    case I32TruncSatF32S:
    case I32TruncSatF32U:
      return convert(op, F32, I32);
    case I32TruncF64S:
    case I32TruncF64U:
    case I32TruncSatF64S:
    case I32TruncSatF64U:
      return convert(op, F64, I32);
    case I64TruncF32S:
    case I64TruncF32U:
    case I64TruncSatF32S:
    case I64TruncSatF32U:
      return convert(op, F32, I64);
    case I64TruncF64S:
    case I64TruncF64U:
    case I64TruncSatF64S:
    case I64TruncSatF64U:
      return convert(op, F64, I64);
    case F32ConvertI32S:
    case F32ConvertI32U:
      return convert(op, I32, F32);
    case F32ConvertI64S:
    case F32ConvertI64U:
      return convert(op, I64, F32);
    case F64ConvertI32S:
    case F64ConvertI32U:
      return convert(op, I32, F64);
    case F64ConvertI64S:
    case F64ConvertI64U:
      return convert(op, I64, F64);
    case F32DemoteF64:
      return convert(op, F64, F32);
    case F64PromoteF32:
      return convert(op, F32, F64);
    case I32ReinterpretF32:
    case I64ReinterpretF64:
    case F32ReinterpretI32:
    case F64ReinterpretI64: {
      const ValType from = op == I32ReinterpretF32   ? F32
                           : op == I64ReinterpretF64 ? F64
                           : op == F32ReinterpretI32 ? I32
                                                     : I64;
      const ValType to = op == I32ReinterpretF32   ? I32
                         : op == I64ReinterpretF64 ? I64
                         : op == F32ReinterpretI32 ? F32
                                                   : F64;
      VarState v = popVar();
      if (v.isConst()) {  // same bits, other type
        pushConst(to, to == I32 || to == F32
                          ? static_cast<int64_t>(static_cast<uint32_t>(v.constant))
                          : v.constant);
        return;
      }
      Reg src = toReg(v, RegSet());
      Reg dst = allocReg(regClassOf(to), RegSet::of(src));
      masm_.reinterpret(op, dst, src);
      pushReg(to, dst);
      (void)from;
      return;
    }
    default:
      return unsupportedSimd();
  }
}

}  // namespace wisp::jit
