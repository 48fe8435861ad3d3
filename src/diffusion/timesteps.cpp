#include "qdiff/diffusion/timesteps.hpp"

#include <algorithm>
#include <cmath>

#include "qdiff/core/error.hpp"

namespace qdiff::diffusion {

TimestepSampler::TimestepSampler(int T) : T_(T) {
  if (T < 1) throw InvalidArgument("timestep sampler: T must be >= 1");
}

void TimestepSampler::sample(Rng& rng, int64_t step, int64_t total_steps, int B, int* t,
                             float* weight) const {
  if (is_uniform(step, total_steps)) {
    for (int b = 0; b < B; ++b) {
      t[b] = static_cast<int>(rng.below(static_cast<uint64_t>(T_)));
      if (weight) weight[b] = 1.0f;
    }
    return;
  }
  const std::vector<double> p = probabilities(step, total_steps);
  std::vector<double> cdf(p.size());
  double acc = 0.0;
  for (size_t i = 0; i < p.size(); ++i) cdf[i] = (acc += p[i]);
  for (int b = 0; b < B; ++b) {
    const double u = rng.uniform() * acc;
    auto it = std::upper_bound(cdf.begin(), cdf.end(), u);
    int ti = static_cast<int>(it - cdf.begin());
    if (ti >= T_) ti = T_ - 1;
    while (p[ti] <= 0.0 && ti > 0) --ti;  // never land on a zero-probability bin via rounding
    t[b] = ti;
    if (weight) weight[b] = reweights() ? static_cast<float>(1.0 / (T_ * p[ti])) : 1.0f;
  }
}

nlohmann::json TimestepSampler::state() const { return {{"kind", name()}, {"T", T_}}; }

void TimestepSampler::load_state(const nlohmann::json& st) {
  if (!st.is_object() || st.value("kind", std::string()) != name() || st.value("T", -1) != T_)
    throw InvalidArgument("timestep sampler state is for '" + (st.is_object() ? st.value("kind", std::string("?")) : std::string("?")) +
                          "' with T = " + (st.is_object() ? std::to_string(st.value("T", -1)) : std::string("?")) +
                          ", expected '" + name() + "' with T = " + std::to_string(T_));
}

// ---- uniform -------------------------------------------------------------------------
std::vector<double> UniformTimesteps::probabilities(int64_t, int64_t) const {
  return std::vector<double>(static_cast<size_t>(T_), 1.0 / T_);
}

// ---- curriculum ----------------------------------------------------------------------
CurriculumTimesteps::CurriculumTimesteps(int T, double start, double end, double width, double floor)
    : TimestepSampler(T), start_(start), end_(end), width_(width), floor_(floor) {
  if (!(start >= 0.0 && start <= 1.0) || !(end >= 0.0 && end <= 1.0))
    throw InvalidArgument("curriculum: start and end must be fractions of T in [0, 1]");
  if (!(width > 0.0)) throw InvalidArgument("curriculum: width must be > 0");
  if (!(floor > 0.0 && floor <= 1.0)) throw InvalidArgument("curriculum: uniform floor must be in (0, 1]");
}

double CurriculumTimesteps::centre(int64_t step, int64_t total_steps) const {
  double progress = total_steps > 1 ? static_cast<double>(step) / static_cast<double>(total_steps - 1) : 1.0;
  progress = std::clamp(progress, 0.0, 1.0);
  return (start_ + (end_ - start_) * progress) * (T_ - 1);
}

std::vector<double> CurriculumTimesteps::probabilities(int64_t step, int64_t total_steps) const {
  const double c = centre(step, total_steps);
  const double w = width_ * T_;
  std::vector<double> p(static_cast<size_t>(T_));
  double sum = 0.0;
  for (int t = 0; t < T_; ++t) {
    const double z = (t - c) / w;
    sum += (p[t] = std::exp(-0.5 * z * z));
  }
  for (int t = 0; t < T_; ++t) p[t] = floor_ / T_ + (1.0 - floor_) * p[t] / sum;
  return p;
}

// ---- importance ----------------------------------------------------------------------
ImportanceTimesteps::ImportanceTimesteps(int T, int history, double uniform_mix)
    : TimestepSampler(T), K_(history), uniform_mix_(uniform_mix) {
  if (history < 1) throw InvalidArgument("importance sampling: history must be >= 1");
  if (!(uniform_mix > 0.0 && uniform_mix <= 1.0))
    throw InvalidArgument("importance sampling: uniform mix must be in (0, 1]");
  history_.assign(static_cast<size_t>(T) * K_, 0.0);
  count_.assign(static_cast<size_t>(T), 0);
  next_.assign(static_cast<size_t>(T), 0);
}

bool ImportanceTimesteps::warmed_up() const { return full_ == T_; }

std::vector<double> ImportanceTimesteps::probabilities(int64_t, int64_t) const {
  std::vector<double> p(static_cast<size_t>(T_), 1.0 / T_);
  if (!warmed_up()) return p;
  double sum = 0.0;
  for (int t = 0; t < T_; ++t) {
    double sq = 0.0;
    for (int k = 0; k < K_; ++k) {
      const double l = history_[static_cast<size_t>(t) * K_ + k];
      sq += l * l;
    }
    sum += (p[t] = std::sqrt(sq / K_));
  }
  if (!(sum > 0.0) || !std::isfinite(sum)) return std::vector<double>(static_cast<size_t>(T_), 1.0 / T_);
  for (int t = 0; t < T_; ++t) p[t] = (1.0 - uniform_mix_) * p[t] / sum + uniform_mix_ / T_;
  return p;
}

void ImportanceTimesteps::update(const int* t, const float* loss, int B) {
  for (int b = 0; b < B; ++b) {
    const int ti = t[b];
    if (ti < 0 || ti >= T_) throw InvalidArgument("importance sampling: timestep out of range");
    if (!std::isfinite(loss[b])) continue;  // a NaN must not poison the history
    history_[static_cast<size_t>(ti) * K_ + next_[ti]] = loss[b];
    next_[ti] = (next_[ti] + 1) % K_;
    if (count_[ti] < K_ && ++count_[ti] == K_) ++full_;
  }
}

nlohmann::json ImportanceTimesteps::state() const {
  nlohmann::json st = TimestepSampler::state();
  st["history_len"] = K_;
  st["uniform_mix"] = uniform_mix_;
  st["losses"] = history_;
  st["count"] = count_;
  st["next"] = next_;
  return st;
}

void ImportanceTimesteps::load_state(const nlohmann::json& st) {
  TimestepSampler::load_state(st);
  try {
    if (st.at("history_len").get<int>() != K_)
      throw InvalidArgument("importance sampling state has history " + st.at("history_len").dump() +
                            ", expected " + std::to_string(K_));
    auto losses = st.at("losses").get<std::vector<double>>();
    auto count = st.at("count").get<std::vector<int>>();
    auto next = st.at("next").get<std::vector<int>>();
    if (losses.size() != history_.size() || count.size() != count_.size() || next.size() != next_.size())
      throw InvalidArgument("importance sampling state: array sizes do not match T and history");
    int64_t full = 0;
    for (int t = 0; t < T_; ++t) {
      if (count[t] < 0 || count[t] > K_ || next[t] < 0 || next[t] >= K_)
        throw InvalidArgument("importance sampling state: corrupt count/next");
      full += count[t] == K_;
    }
    history_ = std::move(losses);
    count_ = std::move(count);
    next_ = std::move(next);
    uniform_mix_ = st.at("uniform_mix").get<double>();
    full_ = full;
  } catch (const nlohmann::json::exception& e) {
    throw InvalidArgument(std::string("importance sampling state: ") + e.what());
  }
}

// ---- factory ------------------------------------------------------------------------
std::unique_ptr<TimestepSampler> make_timestep_sampler(const DiffusionOptions& d) {
  switch (d.timesteps) {
    case TimestepKind::Uniform: return std::make_unique<UniformTimesteps>(d.T);
    case TimestepKind::Curriculum:
      return std::make_unique<CurriculumTimesteps>(d.T, d.curriculum_start, d.curriculum_end, d.curriculum_width);
    case TimestepKind::Importance: return std::make_unique<ImportanceTimesteps>(d.T, d.importance_history);
  }
  throw InvalidArgument("make_timestep_sampler: invalid timestep sampling");
}

}  // namespace qdiff::diffusion
