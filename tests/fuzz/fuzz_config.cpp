// libFuzzer target: run configs. The input is parsed and validated as a JSON config file, and
// each of its first lines is applied as a `--set section.key=value` assignment to the defaults
// (a few per input: every unknown key costs a "did you mean" search over the schema).
#include <string>
#include <string_view>

#include "fuzz_target.hpp"
#include "qdiff/core/config.hpp"

namespace {
void run(std::span<const uint8_t> bytes) {
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  try {
    (void)qdiff::Config::from_text(text, "fuzz.json").hash();
  } catch (const qdiff::Error&) {
  }
  qdiff::Config c;
  size_t start = 0;
  for (int line = 0; line < 8 && start <= text.size(); ++line) {
    const size_t end = std::min(text.find('\n', start), text.size());
    try {
      c.set(std::string(text.substr(start, end - start)));
    } catch (const qdiff::Error&) {
    }
    start = end + 1;
  }
  (void)c.dump();
}
}  // namespace

QDIFF_FUZZ_TARGET(run)
