#include "qdiff/diffusion/generate.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "qdiff/core/error.hpp"

namespace qdiff::diffusion {

EpsModel eps_model(nn::UNet& model) {
  return [&model](const float* x, const int* t, int B, float* eps) { model.forward(x, t, B, eps, false); };
}

void log_precision_note(nn::Precision p) {
  const nn::PrecisionNote note = nn::precision_note(p);
  if (note.text.empty()) return;
  if (note.slower)
    spdlog::warn("{}", note.text);
  else
    spdlog::info("{}", note.text);
}

int64_t steps_per_batch(const Schedule& schedule, const SampleOptions& opt) {
  return opt.sampler == SamplerKind::Ddpm ? schedule.T : std::min(opt.steps, schedule.T);
}

std::vector<float> generate_images(nn::UNet& model, const Schedule& schedule, NoiseSource& noise,
                                   const SampleOptions& opt, int64_t n, int batch,
                                   const std::function<void(int64_t, int64_t)>& progress) {
  if (n <= 0 || batch <= 0) throw InvalidArgument("generate_images: n and batch must be positive");
  nn::require_supported(opt.precision, "sample.precision");
  const auto& spec = model.spec();
  const int64_t D = int64_t(spec.in_channels) * spec.image_size * spec.image_size;
  std::vector<float> out(static_cast<size_t>(n * D));
  const int64_t per_batch = steps_per_batch(schedule, opt);
  const int64_t total = per_batch * ((n + batch - 1) / batch);
  int64_t done_batches = 0;
  const EpsModel f = eps_model(model);
  // The model runs in the sampling precision, and is handed back in its own.
  struct PrecisionScope {
    nn::UNet& m;
    nn::Precision before;
    ~PrecisionScope() { m.set_precision(before); }
  } scope{model, model.precision()};
  model.set_precision(opt.precision);
  for (int64_t start = 0; start < n; start += batch, ++done_batches) {
    const int B = static_cast<int>(std::min<int64_t>(batch, n - start));
    const int64_t base = done_batches * per_batch;
    sample(schedule, f, noise, B, D, opt, out.data() + start * D, [&](int step, int) {
      if (progress) progress(base + step, total);
    });
  }
  return out;
}

}  // namespace qdiff::diffusion
