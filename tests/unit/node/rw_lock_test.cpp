// node/rw_lock: the store's reader-writer lock lets a waiting writer (the commit of a block) in before
// new readers (HTTP workers), so a stream of readers cannot starve it; the mempool's mutex lets an urgent
// locker (the consensus thread) in before the ordinary ones waiting (HTTP workers).
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "node/rw_lock.h"

namespace {

using namespace std::chrono_literals;
using onebill::node::PriorityMutex;
using onebill::node::WriterPreferringSharedMutex;

TEST_CASE("a waiting writer keeps new readers out, and gets the lock when the readers in it leave") {
  WriterPreferringSharedMutex mutex;
  mutex.lock_shared();  // a reader is in
  std::atomic<bool> written{false};
  std::thread writer([&] {
    std::unique_lock lock(mutex);
    written = true;
  });
  // Once the writer waits, a new reader does not get in (with reader preference it always would).
  bool reader_kept_out = false;
  for (auto deadline = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < deadline;) {
    if (!mutex.try_lock_shared()) {
      reader_kept_out = true;
      break;
    }
    mutex.unlock_shared();
    std::this_thread::sleep_for(1ms);
  }
  CHECK(reader_kept_out);
  CHECK_FALSE(written.load());
  mutex.unlock_shared();  // the reader that was in leaves: the writer goes
  writer.join();
  CHECK(written.load());
  CHECK(mutex.try_lock_shared());  // and readers come back after it
  CHECK(mutex.try_lock_shared());  // several at once
  mutex.unlock_shared();
  mutex.unlock_shared();
}

TEST_CASE("a writer excludes readers and other writers") {
  WriterPreferringSharedMutex mutex;
  {
    std::unique_lock lock(mutex);
    CHECK_FALSE(mutex.try_lock_shared());
    CHECK_FALSE(mutex.try_lock());
  }
  std::shared_lock reading(mutex);
  CHECK_FALSE(mutex.try_lock());
}

TEST_CASE("a writer waiting among many readers that come and go gets in") {
  WriterPreferringSharedMutex mutex;
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int i = 0; i < 8; ++i)
    readers.emplace_back([&] {
      while (!stop) {
        std::shared_lock lock(mutex);
        std::this_thread::sleep_for(200us);
      }
    });
  std::this_thread::sleep_for(20ms);
  int writes = 0;
  for (; writes < 20; ++writes) std::unique_lock lock(mutex);
  stop = true;
  for (auto& reader : readers) reader.join();
  CHECK(writes == 20);
}

}  // namespace

TEST_CASE("an urgent locker gets the mutex before the ordinary lockers waiting for it") {
  PriorityMutex mutex;
  mutex.lock();
  std::mutex order_mutex;
  std::vector<std::string> order;
  auto take = [&](auto& lockable, std::string name) {
    std::lock_guard lock(lockable);
    std::lock_guard noted(order_mutex);
    order.push_back(std::move(name));
  };
  std::vector<std::thread> ordinary;
  for (int i = 0; i < 4; ++i) ordinary.emplace_back([&, i] { take(mutex, "ordinary " + std::to_string(i)); });
  std::thread urgent([&] {
    auto view = mutex.urgent();
    take(view, "urgent");
  });
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       mutex.urgent_waiting() == 0 && std::chrono::steady_clock::now() < deadline;) {
    std::this_thread::sleep_for(1ms);
  }
  REQUIRE(mutex.urgent_waiting() == 1);
  CHECK_FALSE(mutex.try_lock());  // taken, and an urgent locker waits
  mutex.unlock();
  urgent.join();
  for (auto& thread : ordinary) thread.join();
  REQUIRE(order.size() == 5);
  CHECK(order.front() == "urgent");
  CHECK(mutex.try_lock());  // free again, none waiting
  mutex.unlock();
}
