// Ctrl-C as a request to stop cleanly: while a StopOnInterrupt lives, the first SIGINT only sets a
// flag that a long run polls at its next step boundary (and then writes its checkpoint); a second
// SIGINT ends the process at once. `qdiff train` and `qdiff sweep` use it.
#pragma once

namespace qdiff::cli {

class StopOnInterrupt {
 public:
  StopOnInterrupt();   // clears the flag and installs the handler
  ~StopOnInterrupt();  // restores the default action
  StopOnInterrupt(const StopOnInterrupt&) = delete;
  StopOnInterrupt& operator=(const StopOnInterrupt&) = delete;

  // Whether Ctrl-C was pressed since the scope began (a plain function: fits any should_stop).
  static bool requested();
};

}  // namespace qdiff::cli
