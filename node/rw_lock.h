// A reader-writer lock whose writer is not starved by a stream of readers.
//
// std::shared_mutex on glibc is a pthread rwlock that prefers readers: while any reader holds it, new
// readers get in, so a writer waits until the readers happen to pause. The node's one writer is the
// commit of a block, and its readers are the HTTP workers (admission, reads): at saturation there is
// always one in, and a commit waited 0.5-1 s for the lock with its thread idle (issue 9). This lock
// makes a waiting writer block new readers, so the commit waits only for the readers already in.
//
// Not recursive for readers: a thread must not take it shared twice (a writer waiting in between
// would deadlock both), which the node never does.
#pragma once

#include <pthread.h>

#include <condition_variable>
#include <mutex>

namespace onebill::node {

class WriterPreferringSharedMutex {
 public:
  WriterPreferringSharedMutex();
  ~WriterPreferringSharedMutex();
  WriterPreferringSharedMutex(const WriterPreferringSharedMutex&) = delete;
  WriterPreferringSharedMutex& operator=(const WriterPreferringSharedMutex&) = delete;

  void lock();
  bool try_lock();
  void unlock();
  void lock_shared();
  bool try_lock_shared();
  void unlock_shared();

 private:
  pthread_rwlock_t lock_;
};

// A mutex whose urgent lockers (the consensus thread: candidates, the commit's removal, the re-check)
// get it before the ordinary ones waiting (HTTP workers admitting batches): at saturation a queue of
// workers each holding the mempool's lock for a batch kept the consensus thread waiting ~12 % of its
// time (issue 9). Among ordinary lockers no order is promised. Lockable as a std::mutex (ordinary);
// `urgent()` is a Lockable view for the urgent side.
class PriorityMutex {
 public:
  void lock();
  bool try_lock();
  void unlock();

  class Urgent {
   public:
    explicit Urgent(PriorityMutex& mutex) : mutex_(mutex) {}
    void lock() { mutex_.lock_urgent(); }
    void unlock() { mutex_.unlock(); }

   private:
    PriorityMutex& mutex_;
  };
  Urgent urgent() { return Urgent(*this); }
  // How many urgent lockers wait now (tests).
  int urgent_waiting();

 private:
  void lock_urgent();
  std::mutex state_;
  std::condition_variable urgent_turn_;
  std::condition_variable ordinary_turn_;
  bool held_ = false;
  int urgent_waiting_ = 0;
};

}  // namespace onebill::node
