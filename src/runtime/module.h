// A compiled module: decoded, validated and compiled once, instantiable many times.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "decoder/module.h"
#include "decoder/result.h"
#include "jit/module_compiler.h"
#include "runtime/memory.h"

namespace wisp::runtime {

class Engine;

class Module {
 public:
  /// Decodes, validates and compiles `bytes`.
  static Result<std::shared_ptr<Module>> compile(Engine& engine, std::vector<uint8_t> bytes);
  /// Same, without copying: the module reads `bytes` in place (lazily compiled functions
  /// too, later) and holds `owner`, which keeps them alive (e.g. a MappedFile).
  static Result<std::shared_ptr<Module>> compile(Engine& engine, std::span<const uint8_t> bytes,
                                                 std::shared_ptr<const void> owner);
  ~Module();
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  Engine& engine() const { return engine_; }
  const decoder::Module& decl() const { return decl_; }
  const jit::CompiledCode& code() const { return *code_; }
  /// Canonical type id of each of the module's type indices.
  const std::vector<uint32_t>& typeIds() const { return typeIds_; }
  /// Canonical type id of function `funcIndex`.
  uint32_t functionTypeId(uint32_t funcIndex) const { return typeIds_[decl_.functions[funcIndex]]; }
  const decoder::Export* findExport(std::string_view name) const;

  /// The initial contents of the module's own memory as a copy-on-write image, when
  /// that is both possible and worth it (active data segments at constant offsets,
  /// element initialization that cannot trap, enough data); else null. Built once.
  const DataImage* dataImage() const;
  /// Prepared reservations of this module's own memory, reused across instances.
  PreparedMemoryCache* memoryCache() const { return memoryCache_.get(); }

 private:
  Module(Engine& engine, decoder::Module decl) : engine_(engine), decl_(std::move(decl)) {}
  static Result<std::shared_ptr<Module>> finish(Engine& engine, Result<decoder::Module> decl,
                                                std::shared_ptr<const void> owner);
  Engine& engine_;
  std::shared_ptr<const void> bytesOwner_;  // declared before decl_: outlives it
  decoder::Module decl_;
  std::unique_ptr<jit::CompiledCode> code_;
  std::vector<uint32_t> typeIds_;
  std::unordered_map<std::string_view, uint32_t> exportIndex_;
  mutable std::once_flag imageOnce_;
  mutable std::unique_ptr<DataImage> image_;
  std::unique_ptr<PreparedMemoryCache> memoryCache_;
};

}  // namespace wisp::runtime
