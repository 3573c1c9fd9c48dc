#include "node/rw_lock.h"

#include <cerrno>
#include <system_error>

namespace onebill::node {

namespace {
void check(int code, const char* what) {
  if (code != 0) throw std::system_error(code, std::generic_category(), what);
}
}  // namespace

WriterPreferringSharedMutex::WriterPreferringSharedMutex() {
  pthread_rwlockattr_t attributes;
  check(pthread_rwlockattr_init(&attributes), "pthread_rwlockattr_init");
  // glibc honours writer preference only in its non-recursive kind.
  check(pthread_rwlockattr_setkind_np(&attributes, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP),
        "pthread_rwlockattr_setkind_np");
  const int made = pthread_rwlock_init(&lock_, &attributes);
  pthread_rwlockattr_destroy(&attributes);
  check(made, "pthread_rwlock_init");
}

WriterPreferringSharedMutex::~WriterPreferringSharedMutex() {
  pthread_rwlock_destroy(&lock_);
}

void WriterPreferringSharedMutex::lock() {
  check(pthread_rwlock_wrlock(&lock_), "pthread_rwlock_wrlock");
}

bool WriterPreferringSharedMutex::try_lock() {
  return pthread_rwlock_trywrlock(&lock_) == 0;
}

void WriterPreferringSharedMutex::unlock() {
  pthread_rwlock_unlock(&lock_);
}

void WriterPreferringSharedMutex::lock_shared() {
  int code = 0;
  // EAGAIN: the most readers the lock counts; wait for one to leave rather than fail a read.
  while ((code = pthread_rwlock_rdlock(&lock_)) == EAGAIN) {
  }
  check(code, "pthread_rwlock_rdlock");
}

bool WriterPreferringSharedMutex::try_lock_shared() {
  return pthread_rwlock_tryrdlock(&lock_) == 0;
}

void WriterPreferringSharedMutex::unlock_shared() {
  pthread_rwlock_unlock(&lock_);
}

void PriorityMutex::lock() {
  std::unique_lock lock(state_);
  ordinary_turn_.wait(lock, [&] { return !held_ && urgent_waiting_ == 0; });
  held_ = true;
}

bool PriorityMutex::try_lock() {
  std::lock_guard lock(state_);
  if (held_ || urgent_waiting_ > 0) return false;
  held_ = true;
  return true;
}

void PriorityMutex::lock_urgent() {
  std::unique_lock lock(state_);
  ++urgent_waiting_;
  urgent_turn_.wait(lock, [&] { return !held_; });
  --urgent_waiting_;
  held_ = true;
}

int PriorityMutex::urgent_waiting() {
  std::lock_guard lock(state_);
  return urgent_waiting_;
}

void PriorityMutex::unlock() {
  bool urgent = false;
  {
    std::lock_guard lock(state_);
    held_ = false;
    urgent = urgent_waiting_ > 0;
  }
  // One waiter at a time: a woken ordinary locker that finds the mutex taken waits again, and the
  // next unlock wakes the next.
  if (urgent) {
    urgent_turn_.notify_one();
  } else {
    ordinary_turn_.notify_one();
  }
}

}  // namespace onebill::node
