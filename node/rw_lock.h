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

}  // namespace onebill::node
