#include "decoder/types.h"

#include "decoder/module.h"

namespace wisp {

const char* valTypeName(ValType t) {
  switch (t) {
    case ValType::I32:
      return "i32";
    case ValType::I64:
      return "i64";
    case ValType::F32:
      return "f32";
    case ValType::F64:
      return "f64";
    case ValType::V128:
      return "v128";
    case ValType::FuncRef:
      return "funcref";
    case ValType::ExternRef:
      return "externref";
    case ValType::Bottom:
      return "<unknown>";
  }
  return "<invalid>";
}

const char* externKindName(ExternKind k) {
  switch (k) {
    case ExternKind::Func:
      return "func";
    case ExternKind::Table:
      return "table";
    case ExternKind::Memory:
      return "memory";
    case ExternKind::Global:
      return "global";
  }
  return "<invalid>";
}

std::string FuncType::toString() const {
  std::string s = "[";
  for (uint32_t i = 0; i < numParams; i++) {
    if (i) s += " ";
    s += valTypeName(types[i]);
  }
  s += "] -> [";
  for (size_t i = numParams; i < types.size(); i++) {
    if (i > numParams) s += " ";
    s += valTypeName(types[i]);
  }
  return s + "]";
}

std::string decoder::Module::functionDisplayName(uint32_t funcIndex) const {
  auto it = functionNames.find(funcIndex);
  std::string s = "function " + std::to_string(funcIndex);
  if (it != functionNames.end()) s += " (" + it->second + ")";
  return s;
}

}  // namespace wisp
