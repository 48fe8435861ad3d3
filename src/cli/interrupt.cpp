#include "interrupt.hpp"

#include <atomic>
#include <csignal>

namespace qdiff::cli {
namespace {

std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the flag is written from a signal handler");

extern "C" void on_sigint(int) {
  g_interrupted = true;
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the process at once
}

}  // namespace

StopOnInterrupt::StopOnInterrupt() {
  g_interrupted = false;
  std::signal(SIGINT, on_sigint);
}

StopOnInterrupt::~StopOnInterrupt() { std::signal(SIGINT, SIG_DFL); }

bool StopOnInterrupt::requested() { return g_interrupted.load(); }

}  // namespace qdiff::cli
