// api/rendered_answers.h: the single-bill routes' answers kept per head, in two bounded generations.
#include <doctest/doctest.h>

#include <string>

#include "api/rendered_answers.h"

using onebill::Hash32;
using onebill::api::RenderedAnswers;

namespace {
Hash32 head_of(std::uint8_t n) {
  Hash32 head{};
  head[0] = n;
  return head;
}
}  // namespace

TEST_CASE("rendered answers read over and over stay cached, and a full generation drops only the older one") {
  RenderedAnswers answers(1000);  // 1,000 bytes per generation: 9 answers of ~100 bytes
  const std::string body(90, 'x');
  auto key = [](int bill) { return "/v1/bills/" + std::to_string(bill); };
  for (int round = 0; round < 3; ++round) {
    int missed = 0;
    for (int bill = 0; bill < 9; ++bill) {
      if (!answers.find(head_of(1), key(bill))) {
        ++missed;
        answers.put(head_of(1), key(bill), body);
      }
    }
    CHECK(missed == (round == 0 ? 9 : 0));
  }
  // A tenth answer fills the generation: the nine before stay readable (now the previous generation),
  // where a single bound cleared when full would have dropped them all.
  answers.put(head_of(1), key(9), body);
  for (int bill = 0; bill < 10; ++bill) CHECK(answers.find(head_of(1), key(bill)).has_value());
}

TEST_CASE("rendered answers of an older head are never given, and a newer head drops them") {
  RenderedAnswers answers;
  answers.put(head_of(1), "a", "old");
  CHECK(answers.find(head_of(1), "a") == "old");
  CHECK_FALSE(answers.find(head_of(2), "a"));
  answers.put(head_of(2), "b", "new");
  CHECK_FALSE(answers.find(head_of(1), "a"));
  CHECK_FALSE(answers.find(head_of(2), "a"));
  CHECK(answers.find(head_of(2), "b") == "new");
}

TEST_CASE("rendered answers stay within two generations") {
  RenderedAnswers answers(1000);
  const std::string body(90, 'x');
  for (int bill = 0; bill < 100; ++bill) answers.put(head_of(1), "/v1/bills/" + std::to_string(bill), body);
  int kept = 0;
  for (int bill = 0; bill < 100; ++bill)
    kept += answers.find(head_of(1), "/v1/bills/" + std::to_string(bill)) ? 1 : 0;
  CHECK(kept <= 20);
  CHECK(answers.find(head_of(1), "/v1/bills/99").has_value());
}
