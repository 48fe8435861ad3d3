#include "qdiff/eval/evaluate.hpp"

#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "qdiff/core/error.hpp"
#include "qdiff/eval/feature_net.hpp"
#include "qdiff/eval/metrics.hpp"
#include "qdiff/eval/ssim.hpp"
#include "qdiff/eval/stats.hpp"

namespace qdiff::eval {
namespace fs = std::filesystem;

std::string default_feature_net(const std::string& data_path) {
  const fs::path p(data_path);
  const fs::path f = p.parent_path() / "features" / (p.stem().string() + ".bin");
  return fs::exists(f) ? f.string() : "";
}

namespace {

void check_sets(const ImageSet& s, const ImageSet& r) {
  if (s.n == 0) throw InvalidArgument(s.source + ": no generated images");
  if (r.n == 0) throw InvalidArgument(r.source + ": no reference images");
  if (s.c != r.c || s.h != r.h || s.w != r.w)
    throw InvalidArgument("samples " + s.source + " are " + std::to_string(s.c) + "x" + std::to_string(s.h) + "x" +
                          std::to_string(s.w) + " but the reference " + r.source + " is " + std::to_string(r.c) + "x" +
                          std::to_string(r.h) + "x" + std::to_string(r.w));
  for (const auto* set : {&s, &r})
    for (float v : set->pixels)
      if (!std::isfinite(v)) throw InvalidArgument(set->source + ": images contain NaN or Inf");
}

}  // namespace

nlohmann::json evaluate(const ImageSet& samples, const ImageSet& reference, const EvalOptions& opt) {
  check_sets(samples, reference);
  nlohmann::json out = {{"n_samples", samples.n}, {"n_reference", reference.n}, {"warnings", nlohmann::json::array()}};
  const bool need_features = opt.fid || opt.kid || opt.prc || opt.classify;
  Eigen::MatrixXd fs, fr, probs;
  std::unique_ptr<FeatureNet> net;
  if (need_features) {
    if (opt.features.empty())
      throw InvalidArgument("no feature network: pass --features FILE (see `qdiff features train`) or --features pixels");
    if (opt.features == "pixels") {
      fs = pixel_features(samples), fr = pixel_features(reference);
    } else {
      net = FeatureNet::load(opt.features);
      fs = extract_features(*net, samples, opt.classify ? &probs : nullptr);
      fr = extract_features(*net, reference);
    }
    out["features"] = opt.features == "pixels" ? "pixels" : fs::path(opt.features).filename().string();
    out["feature_dim"] = fs.cols();
  }
  if (opt.fid) {
    if (const auto w = fid_sample_warning(reference.n, samples.n, fs.cols()); !w.empty()) out["warnings"].push_back(w);
    const FidResult f = fid(fr, fs);
    out["fid"] = {{"value", f.fid}, {"mean_term", f.mean_term}, {"trace_term", f.trace_real + f.trace_gen - 2 * f.trace_sqrt}};
    const int64_t groups = std::min(opt.fid_groups, samples.n);
    if (groups >= 2 && samples.n - (samples.n + groups - 1) / groups >= 2) {
      Rng rng(opt.seed ^ 0x7ac4);
      const auto ci = fid_jackknife(fr, fs, groups, rng, 0.95);
      out["fid"]["jackknife"] = {{"corrected", ci.corrected}, {"se", ci.se}, {"ci95", {ci.lo, ci.hi}}, {"groups", ci.groups},
                                 {"meaning", "95% interval for the Frechet distance between the reference's Gaussian fit "
                                             "(fixed) and the generator's feature distribution; sampling uncertainty of the "
                                             "generated set only; bias-corrected (grouped jackknife)"}};
    }
  }
  if (opt.kid) {
    const int64_t m = default_kid_subset_size(reference.n, samples.n);
    Rng rng(opt.seed ^ 0x4b1d);
    const KidResult k = kid(fr, fs, opt.kid_subsets, m, rng);
    out["kid"] = {{"mean", k.mean}, {"std", k.std}, {"subset_size", m}, {"subsets", opt.kid_subsets}};
  }
  if (opt.prc) {
    if (samples.n <= opt.prc_k || reference.n <= opt.prc_k) {
      out["warnings"].push_back("precision/recall skipped: needs more than k = " + std::to_string(opt.prc_k) + " images per set");
    } else {
      const auto pr = precision_recall(fr, fs, opt.prc_k);
      out["precision"] = pr.precision;
      out["recall"] = pr.recall;
      out["prc_k"] = pr.k;
    }
  }
  if (opt.ssim) {
    const ImageView g(samples.pixels, samples.n, samples.c, samples.h, samples.w);
    const ImageView r(reference.pixels, reference.n, reference.c, reference.h, reference.w);
    const auto near = nearest_ssim(g, r);
    out["ssim"] = {{"nearest_mean", near.mean_max}};
    double mx = 0;
    for (double v : near.max_ssim) mx = std::max(mx, v);
    out["ssim"]["nearest_max"] = mx;
    if (samples.n >= 2) {
      const auto pw = pairwise_ssim(g);
      out["ssim"]["pairwise_mean"] = pw.mean;
      out["ssim"]["pairwise_std"] = pw.std;
    }
  }
  if (opt.classify && net) {
    std::vector<int64_t> hist(net->n_classes(), 0);
    double conf = 0;
    for (int64_t i = 0; i < probs.rows(); ++i) {
      Eigen::Index k;
      conf += probs.row(i).maxCoeff(&k);
      ++hist[k];
    }
    out["classifier"] = {{"histogram", hist},
                         {"entropy_bits", entropy_bits(hist)},
                         {"max_entropy_bits", std::log2(double(hist.size()))},
                         {"mean_confidence", conf / probs.rows()}};
  }
  return out;
}

double entropy_bits(const std::vector<int64_t>& histogram) {
  double total = 0, h = 0;
  for (int64_t c : histogram) total += double(c);
  if (total <= 0) return 0.0;
  for (int64_t c : histogram)
    if (c > 0) h -= double(c) / total * std::log2(double(c) / total);
  return h;
}

std::string format_report(const nlohmann::json& r) {
  std::ostringstream o;
  char b[256];
  o << "samples " << r.value("n_samples", 0) << " vs reference " << r.value("n_reference", 0);
  if (r.contains("features")) o << ", features " << r["features"].get<std::string>() << " (" << r["feature_dim"] << "-d)";
  o << "\n";
  if (r.contains("fid")) {
    std::snprintf(b, sizeof b, "FID              %.3f", r["fid"]["value"].get<double>());
    o << b;
    if (r["fid"].contains("jackknife")) {
      const auto& j = r["fid"]["jackknife"];
      std::snprintf(b, sizeof b, "   (bias-corrected %.3f with 95%% CI [%.3f, %.3f]: jackknife over %lld groups of samples, reference fixed)",
                    j["corrected"].get<double>(), j["ci95"][0].get<double>(), j["ci95"][1].get<double>(),
                    static_cast<long long>(j["groups"].get<int64_t>()));
      o << b;
    }
    o << "\n";
  }
  if (r.contains("kid")) {
    std::snprintf(b, sizeof b, "KID              %.5f +- %.5f   (%lld subsets of %lld)\n", r["kid"]["mean"].get<double>(),
                  r["kid"]["std"].get<double>(), static_cast<long long>(r["kid"]["subsets"].get<int64_t>()),
                  static_cast<long long>(r["kid"]["subset_size"].get<int64_t>()));
    o << b;
  }
  if (r.contains("precision")) {
    std::snprintf(b, sizeof b, "precision        %.4f\nrecall           %.4f   (k = %d)\n", r["precision"].get<double>(),
                  r["recall"].get<double>(), r["prc_k"].get<int>());
    o << b;
  }
  if (r.contains("ssim")) {
    std::snprintf(b, sizeof b, "SSIM to nearest  %.4f mean, %.4f max   (quality / memorisation)\n",
                  r["ssim"]["nearest_mean"].get<double>(), r["ssim"]["nearest_max"].get<double>());
    o << b;
    if (r["ssim"].contains("pairwise_mean")) {
      std::snprintf(b, sizeof b, "SSIM pairwise    %.4f mean   (lower = more diverse)\n", r["ssim"]["pairwise_mean"].get<double>());
      o << b;
    }
  }
  if (r.contains("classifier")) {
    o << "classes          ";
    for (size_t k = 0; k < r["classifier"]["histogram"].size(); ++k) o << k << ":" << r["classifier"]["histogram"][k] << " ";
    std::snprintf(b, sizeof b, "  entropy %.3f of %.3f bits, mean confidence %.3f\n", r["classifier"].value("entropy_bits", 0.0),
                  r["classifier"].value("max_entropy_bits", 0.0), r["classifier"]["mean_confidence"].get<double>());
    o << b;
  }
  for (const auto& w : r["warnings"]) o << "warning: " << w.get<std::string>() << "\n";
  return o.str();
}

}  // namespace qdiff::eval
