// The one error type of OneBill. Expected failures (bad input, a broken rule, a misbehaving peer) are
// values, never exceptions (DESIGN §8). A Problem names its rule with the problem names of DESIGN §7
// ("nonce-used", "signature-encoding", ...), so the same name reaches the HTTP client and the CLI user.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "crypto/assert.h"

namespace onebill {

enum class ProblemKind {
  invalid_input,  // the caller sent something wrong; retrying the same input fails again
  local_fault,    // this machine failed (disk, configuration); the input may be fine
};

struct Problem {
  std::string rule;    // DESIGN §7 problem name, e.g. "bill-pledged"
  std::string detail;  // one sentence for a person: what broke and, where useful, what to do
  ProblemKind kind = ProblemKind::invalid_input;
};

inline Problem invalid(std::string rule, std::string detail) {
  return Problem{std::move(rule), std::move(detail), ProblemKind::invalid_input};
}
inline Problem local_fault(std::string rule, std::string detail) {
  return Problem{std::move(rule), std::move(detail), ProblemKind::local_fault};
}

// Result<T>: a T or a Problem. Result<void> (alias Status) carries only success or a Problem.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}
  Result(Problem problem) : state_(std::move(problem)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  const T& value() const& {
    ONEBILL_ASSERT(ok());
    return std::get<0>(state_);
  }
  T& value() & {
    ONEBILL_ASSERT(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    ONEBILL_ASSERT(ok());
    return std::get<0>(std::move(state_));
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  const Problem& problem() const {
    ONEBILL_ASSERT(!ok());
    return std::get<1>(state_);
  }

 private:
  std::variant<T, Problem> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Problem problem) : problem_(std::move(problem)), ok_(false) {}

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Problem& problem() const {
    ONEBILL_ASSERT(!ok_);
    return problem_;
  }

 private:
  Problem problem_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace onebill

// Propagates a failed Result/Status from the enclosing function.
#define ONEBILL_TRY(expression)                               \
  do {                                                        \
    auto&& onebill_try_result_ = (expression);                \
    if (!onebill_try_result_.ok()) return onebill_try_result_.problem(); \
  } while (false)
