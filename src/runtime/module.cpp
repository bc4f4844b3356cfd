#include "runtime/module.h"

#include "decoder/decoder.h"
#include "runtime/engine.h"
#include "runtime/trap.h"
#include "validator/module_validator.h"

namespace wisp::runtime {

Result<std::shared_ptr<Module>> Module::compile(Engine& engine, std::vector<uint8_t> bytes) {
  const Features& features = engine.config().features;
  auto decl = decoder::decodeModule(std::move(bytes), features);
  if (!decl) return decl.takeError();
  WISP_TRY(validator::validateModuleStructure(*decl, features));
  std::shared_ptr<Module> m(new Module(engine, std::move(decl).value()));
  auto code = jit::compileModule(m->decl_, features, engine.threadPool());
  if (!code) return code.takeError();
  m->code_ = std::move(code).value();
  m->typeIds_.reserve(m->decl_.types.size());
  for (const FuncType& t : m->decl_.types) m->typeIds_.push_back(engine.internType(t));
  for (uint32_t i = 0; i < m->decl_.exports.size(); i++) {
    m->exportIndex_.emplace(m->decl_.exports[i].name, i);
  }
  registerCode(m->code_.get());
  return m;
}

Module::~Module() {
  if (code_) unregisterCode(code_.get());
}

const decoder::Export* Module::findExport(std::string_view name) const {
  auto it = exportIndex_.find(name);
  return it == exportIndex_.end() ? nullptr : &decl_.exports[it->second];
}

}  // namespace wisp::runtime
