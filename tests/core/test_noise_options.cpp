// The quantum noise keys (issue 16): each lands in its field, the schema enforces each strength's
// range by name, and the cross-key rules (noise with the statevector simulation, float with a noisy
// simulation, the device preset with channel keys, T2 <= 2 T1) are one-line errors naming a key.
#include <gtest/gtest.h>

#include <string>

#include "qdiff/core/config.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/core/options.hpp"

using namespace qdiff;

namespace {

Config with(std::initializer_list<const char*> sets) {
  Config c;
  for (const char* s : sets) c.set(s);
  return c;
}

// The ConfigError of resolving these settings (or of setting them), "" when they are valid.
struct Failure {
  std::string key, message;
};
Failure failure_of(std::initializer_list<const char*> sets) {
  try {
    resolve_options(with(sets));
  } catch (const ConfigError& e) {
    return {e.key(), e.what()};
  }
  return {};
}

// The key of the ConfigError that setting `kv` raises (the schema's own check), "" if accepted.
std::string key_rejecting(const std::string& kv) {
  try {
    Config c;
    c.set(kv);
  } catch (const ConfigError& e) {
    return e.key();
  }
  return "";
}

}  // namespace

TEST(NoiseOptions, EveryNoiseKeyLandsInItsField) {
  const RunOptions r = resolve_options(with({"quantum.simulation=trajectories", "quantum.trajectories=9",
                                             "quantum.depolarizing=0.01", "quantum.depolarizing_2q=0.02",
                                             "quantum.amplitude_damping=0.03", "quantum.dephasing=0.04",
                                             "quantum.readout_error=0.05"}));
  EXPECT_EQ(r.quantum.simulation, Simulation::Trajectories);
  EXPECT_EQ(r.quantum.trajectories, 9);
  EXPECT_DOUBLE_EQ(r.quantum.depolarizing, 0.01);
  EXPECT_DOUBLE_EQ(r.quantum.depolarizing_2q, 0.02);
  EXPECT_DOUBLE_EQ(r.quantum.amplitude_damping, 0.03);
  EXPECT_DOUBLE_EQ(r.quantum.dephasing, 0.04);
  EXPECT_DOUBLE_EQ(r.quantum.readout_error, 0.05);
  EXPECT_EQ(r.quantum.noise_key(), "quantum.depolarizing");
  const RunOptions d = resolve_options(with({"quantum.t1=80", "quantum.t2=60", "quantum.gate_time_1q=0.02",
                                             "quantum.gate_time_2q=0.4", "quantum.gate_error_1q=0.001",
                                             "quantum.gate_error_2q=0.01", "quantum.readout_error=0.02"}));
  EXPECT_DOUBLE_EQ(d.quantum.t1, 80);
  EXPECT_DOUBLE_EQ(d.quantum.t2, 60);
  EXPECT_DOUBLE_EQ(d.quantum.gate_time_1q, 0.02);
  EXPECT_DOUBLE_EQ(d.quantum.gate_time_2q, 0.4);
  EXPECT_DOUBLE_EQ(d.quantum.gate_error_1q, 0.001);
  EXPECT_DOUBLE_EQ(d.quantum.gate_error_2q, 0.01);
  EXPECT_EQ(d.quantum.noise_key(), "quantum.t1");
}

TEST(NoiseOptions, SimulationNamesAreTheSchemasChoices) {
  const KeySpec* spec = find_key("quantum.simulation");
  ASSERT_NE(spec, nullptr);
  EXPECT_EQ(spec->choices, (std::vector<std::string>{"statevector", "density_matrix", "trajectories", "auto"}));
  EXPECT_EQ(spec->choices, mode_names<Simulation>());
}

TEST(NoiseOptions, DefaultsAreNoiselessAndAuto) {
  const RunOptions r = resolve_options(Config());
  EXPECT_EQ(r.quantum.simulation, Simulation::Auto);
  EXPECT_EQ(r.quantum.trajectories, 64);
  EXPECT_EQ(r.quantum.noise_key(), "");
  EXPECT_EQ(resolve_options(with({"quantum.readout_error=0.1"})).quantum.noise_key(), "quantum.readout_error");
}

TEST(NoiseOptions, StrengthsOutsideTheirRangeNameTheKey) {
  for (const char* key : {"quantum.depolarizing", "quantum.depolarizing_2q", "quantum.amplitude_damping",
                          "quantum.dephasing", "quantum.readout_error"}) {
    for (const char* bad : {"-0.01", "1.5"}) EXPECT_EQ(key_rejecting(std::string(key) + "=" + bad), key) << bad;
    EXPECT_EQ(key_rejecting(std::string(key) + "=1"), "");  // the fully depolarizing / damping channel is valid
  }
  for (const char* kv : {"quantum.gate_error_1q=0.7", "quantum.gate_error_2q=0.81", "quantum.trajectories=0",
                         "quantum.t1=-1", "quantum.gate_time_2q=-0.1", "quantum.simulation=gpu"})
    EXPECT_EQ(key_rejecting(kv), std::string(kv).substr(0, std::string(kv).find('='))) << kv;
}

TEST(NoiseOptions, NoiseWithTheStatevectorSimulationNamesBothKeys) {
  for (const char* kv : {"quantum.depolarizing=0.01", "quantum.depolarizing_2q=0.001", "quantum.amplitude_damping=0.1",
                         "quantum.dephasing=0.1", "quantum.readout_error=0.02"}) {
    const Failure f = failure_of({"quantum.simulation=statevector", kv});
    const std::string key = std::string(kv).substr(0, std::string(kv).find('='));
    EXPECT_EQ(f.key, key);
    EXPECT_NE(f.message.find("quantum.simulation = statevector"), std::string::npos) << f.message;
  }
  EXPECT_EQ(failure_of({"quantum.simulation=statevector", "quantum.t1=100", "quantum.t2=100"}).key, "quantum.t1");
  for (const char* sim : {"quantum.simulation=auto", "quantum.simulation=density_matrix", "quantum.simulation=trajectories"})
    EXPECT_EQ(failure_of({sim, "quantum.depolarizing_2q=0.01"}).key, "") << sim;
}

TEST(NoiseOptions, FloatPrecisionOnlyWithTheStatevector) {
  EXPECT_EQ(failure_of({"quantum.precision=float"}).key, "");  // auto without noise: the statevector
  EXPECT_EQ(failure_of({"quantum.precision=float", "quantum.simulation=statevector"}).key, "");
  for (const char* sim : {"quantum.simulation=density_matrix", "quantum.simulation=trajectories"})
    EXPECT_EQ(failure_of({"quantum.precision=float", sim}).key, "quantum.precision") << sim;
  const Failure f = failure_of({"quantum.precision=float", "quantum.depolarizing_2q=0.01"});
  EXPECT_EQ(f.key, "quantum.precision");
  EXPECT_NE(f.message.find("quantum.depolarizing_2q"), std::string::npos) << f.message;
}

TEST(NoiseOptions, DevicePresetRules) {
  EXPECT_EQ(failure_of({"quantum.t1=100"}).key, "quantum.t2");
  EXPECT_EQ(failure_of({"quantum.t2=100"}).key, "quantum.t1");
  const Failure t2 = failure_of({"quantum.t1=50", "quantum.t2=101"});
  EXPECT_EQ(t2.key, "quantum.t2");
  EXPECT_NE(t2.message.find("2 * quantum.t1 = 100"), std::string::npos) << t2.message;
  EXPECT_EQ(failure_of({"quantum.t1=50", "quantum.t2=100"}).key, "");
  for (const char* kv : {"quantum.depolarizing=0.01", "quantum.depolarizing_2q=0.01", "quantum.amplitude_damping=0.01",
                         "quantum.dephasing=0.01"}) {
    const std::string key = std::string(kv).substr(0, std::string(kv).find('='));
    const Failure f = failure_of({"quantum.t1=100", "quantum.t2=100", kv});
    EXPECT_EQ(f.key, key);
    EXPECT_NE(f.message.find("device preset"), std::string::npos) << f.message;
  }
  EXPECT_EQ(failure_of({"quantum.t1=100", "quantum.t2=100", "quantum.readout_error=0.01"}).key, "");
  EXPECT_EQ(failure_of({"quantum.gate_error_2q=0.01"}).key, "quantum.gate_error_2q");
  EXPECT_EQ(failure_of({"quantum.gate_error_1q=0.01"}).key, "quantum.gate_error_1q");
}
