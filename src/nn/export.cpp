#include "qdiff/nn/export.hpp"

#include "qdiff/core/error.hpp"
#include "qdiff/core/version.hpp"

namespace qdiff::nn {

SafeTensors export_weights(const Checkpoint& ck, bool raw, const std::string& path) {
  const std::string prefix = raw ? "param/" : "ema/";
  SafeTensors st;
  for (const auto& t : ck.tensors)
    if (t.name.rfind(prefix, 0) == 0) st.tensors.push_back({t.name.substr(prefix.size()), t.shape, t.data});
  if (st.tensors.empty())
    throw FileError(path, raw ? "holds no parameters (\"param/...\" tensors): is it a qdiff checkpoint?"
                              : "holds no EMA weights (saved without them, or a feature network): pass --raw to "
                                "export its parameters");
  auto meta_text = [&](const char* key) {
    if (!ck.meta.contains(key)) return std::string();
    return ck.meta[key].is_string() ? ck.meta[key].get<std::string>() : ck.meta[key].dump();
  };
  st.metadata = {{"format", "pt"},
                 {"qdiff_version", version()},
                 {"config", ck.config.dump()},
                 {"weights", raw ? "raw" : "ema"}};
  for (const char* key : {"step", "in_channels", "image_size"})
    if (!meta_text(key).empty()) st.metadata[key] = meta_text(key);
  if (!meta_text("version").empty()) st.metadata["trained_with_version"] = meta_text("version");
  return st;
}

}  // namespace qdiff::nn
