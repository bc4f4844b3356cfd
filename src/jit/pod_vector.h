// PodVector: a vector for trivially copyable elements whose push/pop are always
// inlined and whose growth is out of line. The compiler's value stack and merge
// states use it on every instruction, where std::vector's push_back is not inlined.
#pragma once

#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>

namespace wisp::jit {

template <typename T>
class PodVector {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  PodVector() = default;
  PodVector(const PodVector& other) { *this = other; }
  PodVector& operator=(const PodVector& other) {
    if (this != &other) {
      reserve(other.size_);
      if (other.size_) std::memcpy(data_, other.data_, other.size_ * sizeof(T));
      size_ = other.size_;
    }
    return *this;
  }
  PodVector(PodVector&& other) noexcept
      : data_(other.data_), size_(other.size_), capacity_(other.capacity_) {
    other.data_ = nullptr;
    other.size_ = other.capacity_ = 0;
  }
  PodVector& operator=(PodVector&& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    std::swap(capacity_, other.capacity_);
    return *this;
  }
  ~PodVector() { std::free(data_); }

  __attribute__((always_inline)) void push_back(const T& v) {
    if (size_ == capacity_) grow(size_ + 1);
    data_[size_++] = v;
  }
  __attribute__((always_inline)) void pop_back() { size_--; }
  T& back() { return data_[size_ - 1]; }
  const T& back() const { return data_[size_ - 1]; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T* data() { return data_; }
  const T* data() const { return data_; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }
  void clear() { size_ = 0; }
  /// Resizes; new elements are value-initialized.
  void resize(size_t n) {
    if (n > capacity_) grow(n);
    for (size_t i = size_; i < n; i++) new (&data_[i]) T();
    size_ = n;
  }
  /// Resizes without initializing new elements (the caller writes those it reads).
  void resizeUninitialized(size_t n) {
    if (n > capacity_) grow(n);
    size_ = n;
  }
  void reserve(size_t n) {
    if (n > capacity_) grow(n);
  }
  /// Appends `n` uninitialized elements and returns the first.
  T* appendUninitialized(size_t n) {
    if (size_ + n > capacity_) grow(size_ + n);
    T* p = data_ + size_;
    size_ += n;
    return p;
  }

 private:
  [[gnu::noinline]] void grow(size_t needed) {
    size_t cap = capacity_ ? capacity_ * 2 : 16;
    while (cap < needed) cap *= 2;
    T* p = static_cast<T*>(std::realloc(data_, cap * sizeof(T)));
    if (!p) throw std::bad_alloc();
    data_ = p;
    capacity_ = cap;
  }
  T* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace wisp::jit
