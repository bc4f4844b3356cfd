#include "runtime/module.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>

#include "decoder/decoder.h"
#include "runtime/engine.h"
#include "runtime/trap.h"
#include "validator/module_validator.h"

namespace wisp::runtime {

Result<std::shared_ptr<Module>> Module::compile(Engine& engine, std::vector<uint8_t> bytes) {
  return finish(engine, decoder::decodeModule(std::move(bytes), engine.config().features), nullptr);
}

Result<std::shared_ptr<Module>> Module::compile(Engine& engine, std::span<const uint8_t> bytes,
                                                std::shared_ptr<const void> owner) {
  return finish(engine, decoder::decodeModuleView(bytes, engine.config().features),
                std::move(owner));
}

Result<std::shared_ptr<Module>> Module::finish(Engine& engine, Result<decoder::Module> decl,
                                               std::shared_ptr<const void> owner) {
  const Features& features = engine.config().features;
  if (!decl) return decl.takeError();
  WISP_TRY(validator::validateModuleStructure(*decl, features));
  std::shared_ptr<Module> m(new Module(engine, std::move(decl).value()));
  m->bytesOwner_ = std::move(owner);
  jit::CompileOptions options;
  options.lazy = engine.config().lazyCompilation;
  options.fuel = engine.config().consumeFuel;
  auto code = jit::compileModule(m->decl_, features, engine.threadPool(), options);
  if (!code) return code.takeError();
  m->code_ = std::move(code).value();
  m->typeIds_.reserve(m->decl_.types.size());
  for (const FuncType& t : m->decl_.types) m->typeIds_.push_back(engine.internType(t));
  for (uint32_t i = 0; i < m->decl_.exports.size(); i++) {
    m->exportIndex_.emplace(m->decl_.exports[i].name, i);
  }
  if (m->decl_.memories.size() > m->decl_.numImportedMemories) {
    m->memoryCache_ = std::make_unique<PreparedMemoryCache>(
        engine.memoryPool(), engine.config().pooledMemories, engine.config().keepResidentBytes);
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

namespace wisp::runtime {

namespace {
// Below this much data, copying the segments beats mapping an image.
constexpr uint64_t kMinImageData = 16 * 1024;
}  // namespace

const DataImage* Module::dataImage() const {
  std::call_once(imageOnce_, [this] {
    const decoder::Module& m = decl_;
    if (m.memories.empty() || m.numImportedMemories != 0) return;
    const uint64_t initialBytes = m.memories[0].limits.min * kPageSize;
    // Element segments must not be able to trap: then data lands before anything could
    // observe its absence, exactly as segment-by-segment initialization would.
    for (const auto& seg : m.elems) {
      if (seg.mode != decoder::SegmentMode::Active) continue;
      if (seg.table < m.numImportedTables || seg.offsetExpr.kind != decoder::ConstExpr::Kind::I32 ||
          uint64_t{static_cast<uint32_t>(seg.offsetExpr.value)} + seg.size() >
              m.tables[seg.table].limits.min) {
        return;
      }
    }
    uint64_t end = 0, data = 0;
    for (const auto& d : m.datas) {
      if (d.mode != decoder::SegmentMode::Active) continue;
      if (d.offsetExpr.kind != decoder::ConstExpr::Kind::I32) return;
      const uint64_t last = uint64_t{static_cast<uint32_t>(d.offsetExpr.value)} + d.dataSize;
      if (last > initialBytes) return;  // would trap: keep the ordinary path
      end = std::max(end, last);
      data += d.dataSize;
    }
    if (data < kMinImageData) return;
    const uint64_t size = (end + kPageSize - 1) / kPageSize * kPageSize;
    const int fd = memfd_create("wisp-data-image", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) return;
    auto image = std::make_unique<DataImage>();
    image->fd = fd;
    image->size = size;
    if (ftruncate(fd, static_cast<off_t>(size)) != 0) return;
    for (const auto& d : m.datas) {
      if (d.mode != decoder::SegmentMode::Active || d.dataSize == 0) continue;
      const uint8_t* src = m.bytes.data() + d.dataOffset;
      off_t at = static_cast<off_t>(static_cast<uint32_t>(d.offsetExpr.value));
      size_t left = d.dataSize;
      while (left) {
        const ssize_t n = pwrite(fd, src, left, at);
        if (n <= 0) return;
        src += n;
        at += n;
        left -= static_cast<size_t>(n);
      }
    }
    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
    // For resetting small memories in place (EngineConfig::keepResidentBytes).
    if (void* v = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0); v != MAP_FAILED) {
      image->view = static_cast<const uint8_t*>(v);
    }
    image_ = std::move(image);
  });
  return image_.get();
}

}  // namespace wisp::runtime
