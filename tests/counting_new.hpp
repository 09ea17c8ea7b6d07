#pragma once
// Replaces the global operator new/delete of the test binary that includes this header (in exactly
// one of its files) with ones that count allocations; memory still comes from malloc. Used by the
// tests that check a hot path allocates nothing per frame.
//
// Every plain and nothrow form is replaced, so no pointer from the library's own operator new is
// ever given to this free (the standard library's temporary buffers use the nothrow form, and
// AddressSanitizer reports such a mismatch). Aligned forms are left as they are: they pair among
// themselves.

#include <atomic>
#include <cstdlib>
#include <new>

namespace migpower::testing {
inline std::atomic<long> g_allocations{0};
[[nodiscard]] inline long allocation_count() { return g_allocations.load(); }
}  // namespace migpower::testing

void* operator new(std::size_t size) {
  migpower::testing::g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void* operator new(std::size_t size, const std::nothrow_t& /*tag*/) noexcept {
  migpower::testing::g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return operator new(size, tag);
}
// GCC cannot tell that these pair with the operator new above, which uses malloc.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t /*size*/) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t /*size*/) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t& /*tag*/) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t& /*tag*/) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
