// ledger/generation_cache.h: the bounded two-generation cache behind the decoded bills.
#include <doctest/doctest.h>

#include <string>

#include "ledger/generation_cache.h"

using onebill::ledger::GenerationCache;

TEST_CASE("a generation cache keeps at most two generations and what is used again") {
  GenerationCache<int> cache(2);
  cache.insert("a", 1);
  cache.insert("b", 2);
  cache.insert("c", 3);         // the generation {a, b} was full: it became the previous one
  CHECK(cache.find("a") == 1);  // found in the previous generation: back in the current one {c, a}
  cache.insert("d", 4);         // {c, a} becomes the previous generation; {a, b} is dropped
  CHECK(cache.find("b") == std::nullopt);
  CHECK(cache.find("a") == 1);
  CHECK(cache.find("c") == 3);
  CHECK(cache.find("d") == 4);
}

TEST_CASE("an erased key is found in neither generation") {
  GenerationCache<int> cache(2);
  cache.insert("a", 1);
  cache.insert("b", 2);
  cache.insert("c", 3);
  cache.erase("a");
  cache.erase("c");
  CHECK(cache.find("a") == std::nullopt);
  CHECK(cache.find("c") == std::nullopt);
  CHECK(cache.find("b") == 2);
  cache.insert("a", 5);
  CHECK(cache.find("a") == 5);
}
