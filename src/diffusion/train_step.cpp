#include "qdiff/diffusion/train_step.hpp"

#include <algorithm>
#include <cmath>

#include "qdiff/core/distributed.hpp"
#include "qdiff/diffusion/forward.hpp"
#include "qdiff/diffusion/loss.hpp"

namespace qdiff::diffusion {
namespace {

// Streams of the per-step random choices (forks of train.seed).
constexpr uint64_t kBatchStream = 1ull << 40, kTimestepStream = 2ull << 40;

// Batch indices for one step: B distinct images out of n (partial Fisher-Yates on a fork).
void draw_batch(Rng rng, int64_t n, int B, std::vector<int64_t>& perm, int64_t* idx) {
  perm.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) perm[i] = i;
  for (int b = 0; b < B; ++b) {
    const int64_t j = b + static_cast<int64_t>(rng.below(static_cast<uint64_t>(n - b)));
    std::swap(perm[b], perm[j]);
    idx[b] = perm[b];
  }
}

}  // namespace

bool StepResult::finite() const { return std::isfinite(loss) && std::isfinite(grad_norm); }

StepResult train_step(TrainingState& state, const StepContext& ctx, StepBuffers& buf) {
  const int B = ctx.batch, P = ctx.processes, Bl = B / P, b0 = ctx.rank * Bl;
  const int64_t D = ctx.data.image_size();
  buf.x0.resize(static_cast<size_t>(B) * D), buf.eps.resize(buf.x0.size()), buf.xt.resize(buf.x0.size());
  buf.pred.resize(static_cast<size_t>(Bl) * D), buf.dpred.resize(buf.pred.size());
  buf.weight.resize(B), buf.loss_per.resize(B), buf.loss_local.resize(Bl), buf.t.resize(B), buf.idx.resize(B);
  nn::UNet& model = *state.model;
  const Rng seed_rng(ctx.seed);

  // x0: [B, D] batch, t: [B], eps: [B, D]
  draw_batch(seed_rng.fork(kBatchStream + state.step), ctx.data.n, B, buf.perm, buf.idx.data());
  for (int b = 0; b < B; ++b) std::copy_n(ctx.data.image(buf.idx[b]), D, buf.x0.data() + b * D);
  Rng trng = seed_rng.fork(kTimestepStream + state.step);
  state.timesteps->sample(trng, state.step, ctx.total_steps, B, buf.t.data(), buf.weight.data());
  state.noise->fill_normal(buf.eps.data(), B * D);
  q_sample(ctx.schedule, buf.x0.data(), buf.eps.data(), buf.t.data(), B, D, buf.xt.data());

  // pred, dpred: [Bl, D] for rows b0 .. b0 + Bl of the batch; dpred is normalised by the global
  // B (the values one process holding the whole batch writes), the shards' loss sums added once
  state.set_branch_first_sample(b0);
  model.forward(buf.xt.data() + b0 * D, buf.t.data() + b0, Bl, buf.pred.data(), true);
  StepResult r;
  r.loss = eps_mse_sum(buf.pred.data(), buf.eps.data() + b0 * D, buf.weight.data() + b0, Bl, B, D,
                       buf.loss_local.data(), buf.dpred.data());
  if (P > 1) {
    Distributed::allreduce_sum(&r.loss, 1);
    Distributed::allgather(buf.loss_local.data(), Bl, buf.loss_per.data());
  } else {
    std::copy(buf.loss_local.begin(), buf.loss_local.end(), buf.loss_per.begin());
  }
  r.loss /= B;
  model.zero_grad();
  model.backward(buf.dpred.data());
  if (P > 1) Distributed::allreduce_sum(model.grads().data(), static_cast<int64_t>(model.grads().size()));
  r.grad_norm = nn::clip_grad_norm(model.grads(), ctx.grad_clip);
  if (!r.finite()) return r;
  state.adam.step(model.params(), model.grads());
  state.ema.update(model.params());
  state.timesteps->update(buf.t.data(), buf.loss_per.data(), B);
  ++state.step;
  return r;
}

}  // namespace qdiff::diffusion
