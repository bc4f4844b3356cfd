// A table of references (funcref: FuncRef pointers; externref: opaque values).
#pragma once

#include <cstdint>
#include <vector>

#include "decoder/types.h"
#include "jit/vmcontext.h"

namespace wisp::runtime {

class Table {
 public:
  /// `maxElements` is the embedder's limit (already at most the type's maximum).
  Table(const TableType& type, uint32_t maxElements, uintptr_t init)
      : type_(type), max_(maxElements), elements_(type.limits.min, init) {
    sync();
  }
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  ValType elemType() const { return type_.elemType; }
  const TableType& type() const { return type_; }
  uint32_t size() const { return static_cast<uint32_t>(elements_.size()); }
  uint32_t maxSize() const { return max_; }
  uintptr_t get(uint32_t i) const { return elements_[i]; }
  void set(uint32_t i, uintptr_t v) { elements_[i] = v; }
  uintptr_t* data() { return elements_.data(); }

  /// table.grow: old size, or -1 when the table cannot grow by `delta`.
  int64_t grow(uint32_t delta, uintptr_t init) {
    const uint64_t old = elements_.size();
    if (old + delta > max_) return -1;
    elements_.resize(old + delta, init);
    sync();
    return static_cast<int64_t>(old);
  }

  jit::TableInstance* instance() { return &instance_; }

 private:
  void sync() {
    instance_.elements = elements_.data();
    instance_.size = static_cast<uint32_t>(elements_.size());
    instance_.max = max_;
  }
  TableType type_;
  uint32_t max_;
  std::vector<uintptr_t> elements_;
  jit::TableInstance instance_;
};

}  // namespace wisp::runtime
